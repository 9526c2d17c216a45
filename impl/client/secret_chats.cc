#include "client/secret_chats.h"

#include <algorithm>

#include "crypto/e2e.h"

namespace msgbed {
namespace {

constexpr std::string_view kKeyLabel = "msgbed secret chat key v1";
constexpr std::string_view kRekeyLabel = "msgbed secret chat rekey v1";
constexpr std::string_view kSignLabel = "msgbed secret chat signed key v1";

std::string Be(uint64_t v) {
  std::string s;
  for (int i = 7; i >= 0; --i) s.push_back(static_cast<char>(v >> (8 * i)));
  return s;
}

uint64_t FromBe(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = v << 8 | static_cast<unsigned char>(s[i]);
  return v;
}

}  // namespace

SecretChats::SecretChats(Device* device, SecretBytes secret_bytes, Observer* observer)
    : device_(device), secret_bytes_(std::move(secret_bytes)), observer_(observer) {
  auto pair = e2e::IdentityKeyPair(secret_bytes_(e2e::kKeyBytes));
  identity_ = {pair->public_key, pair->secret_key};
}

std::string SecretChats::Signed(const std::string& key) const {
  return e2e::Sign({identity_.public_key, identity_.secret_key}, std::string(kSignLabel) + key);
}

std::string SecretChats::Ad(const Chat& chat, uint64_t generation, bool from_admin) const {
  return Be(chat.info.id()) + Be(generation) + (from_admin ? "A" : "P");
}

uint64_t SecretChats::Ask(api::ClientFrame frame, Pending pending) {
  const uint64_t id = device_->Request(std::move(frame));
  pending_[id] = std::move(pending);
  return id;
}

void SecretChats::Start(uint64_t peer_user) {
  auto pair = e2e::DhKeyPair(secret_bytes_(e2e::kKeyBytes));
  api::ClientFrame frame;
  api::RequestEncryption& r = *frame.mutable_request_encryption();
  r.set_peer_user(peer_user);
  r.set_random_id(FromBe(secret_bytes_(8)) | 1);
  r.set_g_a(pair->public_key);
  r.set_identity(identity_.public_key);
  r.set_signature(Signed(pair->public_key));
  Ask(std::move(frame), {Asked::kStart, 0, pair->secret_key});
}

bool SecretChats::Accept(uint64_t id) {
  auto it = chats_.find(id);
  if (it == chats_.end() || it->second.admin || it->second.info.state() != api::EncryptedChat::REQUESTED ||
      !it->second.key.empty())
    return false;
  Chat& chat = it->second;
  auto pair = e2e::DhKeyPair(secret_bytes_(e2e::kKeyBytes));
  chat.dh_secret = pair->secret_key;
  chat.info.set_g_b(pair->public_key);
  chat.info.set_participant_identity(identity_.public_key);
  chat.info.set_participant_signature(Signed(pair->public_key));
  if (!Agree(chat)) return true;  // refused (OnRejected): nothing to accept
  api::ClientFrame frame;
  api::AcceptEncryption& a = *frame.mutable_accept_encryption();
  a.set_chat_id(id);
  a.set_g_b(chat.info.g_b());
  a.set_identity(chat.info.participant_identity());
  a.set_signature(chat.info.participant_signature());
  Ask(std::move(frame), {Asked::kAccept, id, {}});
  return true;
}

void SecretChats::Discard(uint64_t id) {
  api::ClientFrame frame;
  frame.mutable_discard_encryption()->set_chat_id(id);
  Ask(std::move(frame), {Asked::kOther, id, {}});
  std::erase_if(unacked_, [&](const auto& e) { return e.second.chat == id; });
  if (auto it = chats_.find(id); it != chats_.end()) {
    e2e::Wipe(it->second.key);
    e2e::Wipe(it->second.old_key);
    it->second.info.set_state(api::EncryptedChat::DISCARDED);
  }
}

bool SecretChats::Agree(Chat& chat) {
  const api::EncryptedChat& i = chat.info;
  const std::string& their_key = chat.admin ? i.g_b() : i.g_a();
  const std::string& their_identity = chat.admin ? i.participant_identity() : i.admin_identity();
  const std::string& their_signature = chat.admin ? i.participant_signature() : i.admin_signature();
  if (!e2e::Verify(their_identity, std::string(kSignLabel) + their_key, their_signature)) {
    Refuse(chat, "the other side's key is not signed by its identity");
    return false;
  }
  auto shared = e2e::Agree(chat.dh_secret, their_key);
  e2e::Wipe(chat.dh_secret);
  if (!shared) {
    Refuse(chat, "the other side's key is unusable");
    return false;
  }
  chat.key = e2e::Hash(*shared, {kKeyLabel, i.g_a(), i.g_b()});
  e2e::Wipe(*shared);
  chat.fingerprint = e2e::Hash("", {"fingerprint", chat.key, i.admin_identity(), i.participant_identity()})
                         .substr(0, e2e::kFingerprintBytes);
  chat.key_date = i.date_us();
  return true;
}

void SecretChats::Refuse(Chat& chat, const std::string& why) {
  ++rejected_;
  observer_->OnRejected(*this, chat.info.id(), why);
}

bool SecretChats::OnFrame(const api::ServerFrame& frame) {
  if (frame.request_id() == 0) {
    if (!frame.has_secret_update()) return false;
    OnUpdate(frame.secret_update());
    return true;
  }
  auto it = pending_.find(frame.request_id());
  if (it == pending_.end()) return false;
  Pending pending = std::move(it->second);
  pending_.erase(it);
  if (pending.what == Asked::kSync) syncing_ = false;
  if (frame.has_error()) {
    e2e::Wipe(pending.dh_secret);
    const api::ErrorCode code = frame.error().code();
    const bool transient =
        code == api::TIMEOUT || code == api::INTERNAL || code == api::UNAVAILABLE || code == api::FLOOD_WAIT;
    if (pending.what == Asked::kSend && transient) {
      device_->link()->After(kResendDelay, [this, random_id = pending.random_id] {
        if (unacked_.contains(random_id)) SendUnacked(random_id);
      });
      return true;
    }
    if (pending.what == Asked::kSend) unacked_.erase(pending.random_id);
    observer_->OnError(*this, frame.error());
    return true;
  }
  OnAnswer(std::move(pending), frame);
  return true;
}

void SecretChats::OnAnswer(Pending pending, const api::ServerFrame& frame) {
  switch (pending.what) {
    case Asked::kStart: {
      Chat& chat = chats_[frame.encrypted_chat().id()];
      chat.admin = true;
      chat.info = frame.encrypted_chat();
      chat.dh_secret = std::move(pending.dh_secret);
      return observer_->OnStarted(*this, chat.info);
    }
    case Asked::kAccept: {
      auto it = chats_.find(pending.chat);
      if (it == chats_.end() || it->second.key.empty()) return;
      it->second.info = frame.encrypted_chat();
      return observer_->OnReady(*this, pending.chat);
    }
    case Asked::kSend: {
      unacked_.erase(pending.random_id);
      auto it = chats_.find(pending.chat);
      if (it != chats_.end()) MaybeRekey(it->second, frame.sent_encrypted().date_us());
      return;
    }
    case Asked::kSync: return OnDifference(frame.secret_difference());
    case Asked::kOther: return;
  }
}

void SecretChats::OnUpdate(const api::SecretUpdate& update) {
  if (update.qts() == 0) {
    if (update.has_chat()) OnChat(update.chat());
    return;
  }
  if (update.qts() <= qts_) return;            // had it (a push after the difference)
  if (update.qts() > qts_ + 1) return Sync();  // missed one: the queue has it
  TakeQueued(update);
  Acknowledge();
}

void SecretChats::TakeQueued(const api::SecretUpdate& update) {
  qts_ = update.qts();
  if (update.has_chat()) OnChat(update.chat());
  if (update.has_message()) OnEncrypted(update.message());
}

void SecretChats::Sync() {
  syncing_ = false;  // one asked on the last connection is not coming
  SyncIfIdle();
  std::vector<std::pair<uint64_t, uint64_t>> order;  // (seq, random_id): the receiver's order
  for (const auto& [random_id, u] : unacked_) order.emplace_back(u.seq, random_id);
  std::sort(order.begin(), order.end());
  for (const auto& [seq, random_id] : order) SendUnacked(random_id);
}

void SecretChats::SyncIfIdle() {
  if (syncing_) return;
  syncing_ = true;
  api::ClientFrame frame;
  frame.mutable_get_secret_difference()->set_qts(qts_);
  Ask(std::move(frame), {Asked::kSync, 0, {}});
}

void SecretChats::OnDifference(const api::SecretDifference& diff) {
  for (const api::EncryptedChat& request : diff.requests()) OnChat(request);
  for (const api::SecretUpdate& update : diff.updates()) {
    if (update.qts() > qts_) TakeQueued(update);
  }
  if (!diff.updates().empty()) Acknowledge();
  if (diff.is_slice()) SyncIfIdle();
}

void SecretChats::Acknowledge() {
  api::ClientFrame frame;
  frame.mutable_received_queue()->set_max_qts(qts_);
  Ask(std::move(frame), {});
}

void SecretChats::OnChat(const api::EncryptedChat& info) {
  auto it = chats_.find(info.id());
  switch (info.state()) {
    case api::EncryptedChat::REQUESTED:
      if (it != chats_.end() || info.participant_user() != device_->user()) return;
      chats_[info.id()].info = info;
      return observer_->OnRequest(*this, info);
    case api::EncryptedChat::ACCEPTED:
      if (it == chats_.end()) {
        if (info.admin_device() == device_->device() && info.admin_user() == device_->user()) Forget(info.id());
        return;
      }
      if (!it->second.admin && info.participant_device() != device_->device()) {
        chats_.erase(it);  // another device of this user took it
        return;
      }
      if (!it->second.admin || !it->second.key.empty()) return;
      it->second.info = info;
      if (Agree(it->second)) return observer_->OnReady(*this, info.id());
      return Discard(info.id());
    case api::EncryptedChat::DISCARDED:
      if (it == chats_.end() || it->second.info.state() == api::EncryptedChat::DISCARDED) return;
      e2e::Wipe(it->second.key);
      e2e::Wipe(it->second.old_key);
      e2e::Wipe(it->second.dh_secret);
      it->second.info.set_state(api::EncryptedChat::DISCARDED);
      return observer_->OnDiscarded(*this, info.id());
    default: return;
  }
}

void SecretChats::Forget(uint64_t id) {
  chats_[id].info.set_id(id);
  Discard(id);
}

void SecretChats::OnEncrypted(const api::EncryptedMessage& m) {
  auto it = chats_.find(m.chat_id());
  if (it == chats_.end()) return Forget(m.chat_id());
  if (it->second.key.empty()) return;
  Chat& chat = it->second;
  const std::string_view data = m.data();
  if (data.size() < 8 + e2e::kNonceBytes + e2e::kTagBytes) return Refuse(chat, "a payload too short to be sealed");
  const uint64_t generation = FromBe(data.substr(0, 8));
  const std::string* key = generation == chat.generation                                ? &chat.key
                           : generation + 1 == chat.generation && !chat.old_key.empty() ? &chat.old_key
                                                                                        : nullptr;
  if (key == nullptr) return Refuse(chat, "a payload under a key this device does not hold");
  auto plain = e2e::Open(*key, data.substr(8, e2e::kNonceBytes), Ad(chat, generation, !chat.admin),
                         data.substr(8 + e2e::kNonceBytes));
  secret::Payload payload;
  if (!plain || !payload.ParseFromString(*plain)) return Refuse(chat, "a payload that does not open");
  // The other side sends under the new key: nothing more comes under the old.
  if (generation == chat.generation) e2e::Wipe(chat.old_key);
  Take(chat, std::move(payload), m.date_us());
}

void SecretChats::Take(Chat& chat, secret::Payload payload, int64_t date_us) {
  const uint64_t seq = payload.seq();
  if (seq <= chat.in_seq || chat.early.contains(seq)) {
    ++replays_;
    return;
  }
  if (seq > chat.in_seq + 1) {
    const bool first_gap = chat.early.empty();
    chat.early.emplace(seq, std::move(payload));
    if (!first_gap) return;
    secret::Payload resend;
    resend.mutable_resend()->set_from_seq(chat.in_seq + 1);
    resend.mutable_resend()->set_to_seq(seq - 1);
    return SendPayload(chat, std::move(resend));
  }
  chat.in_seq = seq;
  switch (payload.body_case()) {
    case secret::Payload::kText:
      ++chat.used;
      Show(chat, {chat.info.id(), seq, false, payload.text().text(), payload.text().ttl_s()});
      MaybeRekey(chat, date_us);
      break;
    case secret::Payload::kResend:
      for (uint64_t s = payload.resend().from_seq(); s <= payload.resend().to_seq() && s <= chat.out_seq; ++s) {
        secret::Payload gone;
        gone.set_seq(s);
        auto sent = chat.sent.find(s);
        Transmit(chat, sent != chat.sent.end() ? sent->second : gone);
      }
      break;
    case secret::Payload::kRekey: TakeRekey(chat, payload.rekey()); break;
    case secret::Payload::kSetTtl: chat.ttl_s = payload.set_ttl().ttl_s(); break;
    default: break;
  }
  if (auto next = chat.early.find(chat.in_seq + 1); next != chat.early.end()) {
    secret::Payload p = std::move(next->second);
    chat.early.erase(next);
    Take(chat, std::move(p), date_us);
  }
}

void SecretChats::MaybeRekey(Chat& chat, int64_t date_us) {
  if (!chat.admin || chat.rekeying || chat.key.empty()) return;
  if (chat.used < kRekeyMessages && (date_us == 0 || date_us - chat.key_date < kRekeyAge)) return;
  auto pair = e2e::DhKeyPair(secret_bytes_(e2e::kKeyBytes));
  chat.rekeying = true;
  chat.dh_secret = pair->secret_key;
  secret::Payload body;
  body.mutable_rekey()->set_step(secret::Rekey::REQUEST);
  body.mutable_rekey()->set_generation(chat.generation + 1);
  body.mutable_rekey()->set_key(pair->public_key);
  SendPayload(chat, std::move(body));
}

void SecretChats::TakeRekey(Chat& chat, const secret::Rekey& rekey) {
  if (rekey.generation() != chat.generation + 1 && rekey.step() != secret::Rekey::COMMIT) return;
  if (rekey.step() == secret::Rekey::COMMIT) return e2e::Wipe(chat.old_key);
  const bool accepting = rekey.step() == secret::Rekey::REQUEST;
  if (accepting == chat.admin || (!accepting && !chat.rekeying)) return;  // not this side's step
  auto mine = e2e::DhKeyPair(accepting ? secret_bytes_(e2e::kKeyBytes) : chat.dh_secret);
  auto shared = e2e::Agree(mine->secret_key, rekey.key());
  e2e::Wipe(chat.dh_secret);
  if (!shared) return Refuse(chat, "an unusable key to re-key with");
  const std::string& admin_key = accepting ? rekey.key() : mine->public_key;
  const std::string& participant_key = accepting ? mine->public_key : rekey.key();
  std::string next = e2e::Hash(*shared, {kRekeyLabel, Be(rekey.generation()), admin_key, participant_key});
  e2e::Wipe(*shared);
  e2e::Wipe(mine->secret_key);
  if (accepting) {
    // The answer goes under the old key, which the admin still has; the
    // old key stays here until the admin's first payload under the new one.
    secret::Payload body;
    body.mutable_rekey()->set_step(secret::Rekey::ACCEPT);
    body.mutable_rekey()->set_generation(rekey.generation());
    body.mutable_rekey()->set_key(mine->public_key);
    SendPayload(chat, std::move(body));
    chat.old_key = std::move(chat.key);
  } else {
    e2e::Wipe(chat.key);  // everything the participant sent under it came before its ACCEPT
  }
  chat.key = std::move(next);
  chat.generation = rekey.generation();
  chat.used = 0;
  chat.rekeying = false;
  if (accepting) return;
  secret::Payload commit;
  commit.mutable_rekey()->set_step(secret::Rekey::COMMIT);
  commit.mutable_rekey()->set_generation(chat.generation);
  SendPayload(chat, std::move(commit));
}

bool SecretChats::Send(uint64_t id, const std::string& text, uint32_t ttl_s) {
  auto it = chats_.find(id);
  if (it == chats_.end() || !Ready(id) || text.empty() || text.size() > kMaxTextBytes) return false;
  Chat& chat = it->second;
  secret::Payload body;
  body.mutable_text()->set_text(text);
  body.mutable_text()->set_ttl_s(ttl_s != 0 ? ttl_s : chat.ttl_s);
  const uint32_t ttl = body.text().ttl_s();
  SendPayload(chat, std::move(body));
  ++chat.used;
  Show(chat, {id, chat.out_seq, true, text, ttl});
  return true;
}

bool SecretChats::SetTimer(uint64_t id, uint32_t ttl_s) {
  auto it = chats_.find(id);
  if (it == chats_.end() || !Ready(id)) return false;
  it->second.ttl_s = ttl_s;
  secret::Payload body;
  body.mutable_set_ttl()->set_ttl_s(ttl_s);
  SendPayload(it->second, std::move(body));
  return true;
}

void SecretChats::SendPayload(Chat& chat, secret::Payload body) {
  body.set_seq(++chat.out_seq);
  chat.sent[body.seq()] = body;
  while (chat.sent.size() > kKeptForResend) chat.sent.erase(chat.sent.begin());
  Transmit(chat, std::move(body));
}

void SecretChats::Transmit(Chat& chat, secret::Payload payload) {
  std::string plain = payload.SerializeAsString();
  const std::string nonce = secret_bytes_(e2e::kNonceBytes);
  const uint64_t random_id = FromBe(secret_bytes_(8)) | 1;
  unacked_[random_id] = {
      chat.info.id(), payload.seq(),
      Be(chat.generation) + nonce + e2e::Seal(chat.key, nonce, Ad(chat, chat.generation, chat.admin), plain)};
  e2e::Wipe(plain);
  SendUnacked(random_id);
}

void SecretChats::SendUnacked(uint64_t random_id) {
  const Unacked& u = unacked_.at(random_id);
  api::ClientFrame frame;
  api::SendEncrypted& send = *frame.mutable_send_encrypted();
  send.set_chat_id(u.chat);
  send.set_random_id(random_id);
  send.set_data(u.data);
  Ask(std::move(frame), {Asked::kSend, u.chat, {}, random_id});
}

void SecretChats::Show(Chat& chat, Message message) {
  chat.messages.push_back(message);
  if (message.ttl_s > 0) {
    device_->link()->After(message.ttl_s * kSecond, [this, chat = message.chat, seq = message.seq,
                                                     mine = message.mine] { Expire(chat, seq, mine); });
  }
  observer_->OnMessage(*this, message);
}

void SecretChats::Expire(uint64_t id, uint64_t seq, bool mine) {
  auto it = chats_.find(id);
  if (it == chats_.end()) return;
  for (Message& m : it->second.messages) {
    if (m.seq != seq || m.mine != mine || m.expired) continue;
    e2e::Wipe(m.text);
    m.expired = true;
    if (mine) it->second.sent.erase(seq);
    if (mine) std::erase_if(unacked_, [&](const auto& e) { return e.second.chat == id && e.second.seq == seq; });
    observer_->OnExpired(*this, m);
  }
}

std::string SecretChats::FingerprintHex(uint64_t chat) const {
  auto it = chats_.find(chat);
  return it == chats_.end() ? std::string() : e2e::FingerprintHex(it->second.fingerprint);
}

std::vector<std::string> SecretChats::FingerprintEmoji(uint64_t chat) const {
  auto it = chats_.find(chat);
  return it == chats_.end() ? std::vector<std::string>() : e2e::FingerprintEmoji(it->second.fingerprint);
}

const std::vector<SecretChats::Message>* SecretChats::Messages(uint64_t chat) const {
  auto it = chats_.find(chat);
  return it == chats_.end() ? nullptr : &it->second.messages;
}

bool SecretChats::Ready(uint64_t chat) const {
  auto it = chats_.find(chat);
  return it != chats_.end() && !it->second.key.empty() && it->second.info.state() == api::EncryptedChat::ACCEPTED;
}

uint64_t SecretChats::Generation(uint64_t chat) const {
  auto it = chats_.find(chat);
  return it == chats_.end() ? 0 : it->second.generation;
}

}  // namespace msgbed
