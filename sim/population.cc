#include "population.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "auth/provision.h"
#include "bot_traffic.h"
#include "core/cluster.h"
#include "media_shares.h"
#include "message_names.h"
#include "service_node.h"
#include "world.h"

namespace msgbed::sim {

namespace s4u = simgrid::s4u;

Population::Population(World* world, uint32_t gateway, const Placement& at)
    : ClientSide(world, "clients/" + std::to_string(gateway), at),
      gateway_index_(gateway),
      conn_stride_(world->users.devices()),
      jitter_(DeriveSeed(world->scenario.seed, "population/" + std::to_string(gateway))),
      sessions_(DeriveSeed(world->scenario.seed, "sessions/" + std::to_string(gateway))) {}

void Population::AddDevice(api::Authorization session, uint64_t global_index, double connect_at) {
  Device::RetryPolicy policy;
  policy.ack_delay = std::llround(world_->scenario.workload.ack_delay * 1e6);
  policy.quiet_resync = std::llround(world_->scenario.workload.quiet_resync * 1e6);
  devices_.push_back(std::make_unique<SimDevice>(this, std::move(session), global_index + 1, connect_at, policy));
}

void Population::Begin(ServiceNode* gateway) {
  gateway_ = gateway;
  client_frame_cost_ = &world_->scenario.costs.at(gateway->role().name + ".client_frame");
  for (auto& d : devices_) {
    SimDevice* dev = d.get();
    Post(dev->connect_at, 0, [this, dev] { Connect(*dev); });
  }
}

void Population::Connect(SimDevice& dev) {
  dev.connected_at = world_->Now();
  const ConnId conn = dev.conn;
  ServiceNode* gw = gateway_;
  // Each simulated device has an address of its own, as phones do.
  Transmit(*gw, "open", 0, world_->Draw(*client_frame_cost_),
           [gw, conn, source = dev.Source()] { gw->ClientOpened(conn, source); });
  dev.core.Connected();
  if (!dev.waking) ScheduleLeave(dev, conn);
}

void Population::ScheduleLeave(SimDevice& dev, ConnId conn) {
  const WorkloadSpec& wl = world_->scenario.workload;
  // Sessions come and go during the loaded period only, so the drain can
  // settle: a device away at its end stays away.
  if (wl.session_online <= 0) return;
  const double leave = world_->Now() + sessions_.Exponential(1 / wl.session_online);
  if (leave < world_->scenario.duration) Post(leave, 0, [this, &dev, conn] { Leave(dev, conn); });
}

void Population::Hangup(SimDevice& dev) {
  ServiceNode* gw = gateway_;
  const ConnId conn = dev.conn;
  Transmit(*gw, "close", 0, world_->Draw(*client_frame_cost_), [gw, conn] { gw->ClientClosed(conn); });
  dev.core.Disconnected();
  dev.connected_at = -1;
  dev.conn += conn_stride_;
}

void Population::Leave(SimDevice& dev, ConnId conn) {
  // A connection the gateway closed has been replaced; the new one has a
  // session of its own.
  if (dev.conn != conn || dev.connected_at < 0) return;
  // Nobody puts the phone away in the middle of signing in (and a device
  // away would keep the user's phone from its other devices meanwhile).
  if (dev.signing_in_since >= 0) return ScheduleLeave(dev, conn);
  Hangup(dev);
  dev.away = true;
  world_->recorder.SessionEnded();
  const double back = world_->Now() + sessions_.Exponential(1 / world_->scenario.workload.session_offline);
  if (back >= world_->scenario.duration) return;
  Post(back, 0, [this, &dev] {
    dev.away = false;
    dev.returning = true;
    if (dev.connected_at < 0) return Connect(dev);
    // Awake in the background when the user opens the app: that
    // connection is its session now, from now.
    if (dev.waking) world_->recorder.WakeEnded(Recorder::WakeEnd::kUserReturned);
    dev.waking = false;
    dev.connected_at = world_->Now();
    ScheduleLeave(dev, dev.conn);
  });
}

std::string PushToken(uint64_t device_index) { return "sim-" + std::to_string(device_index); }

bool ParsePushToken(const std::string& token, uint64_t* device_index) {
  if (token.rfind("sim-", 0) != 0 || token.size() == 4) return false;
  *device_index = 0;
  for (char c : token.substr(4)) {
    if (c < '0' || c > '9') return false;
    *device_index = *device_index * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

void Population::PushArrived(size_t index, double at) {
  Post(at, 0, [this, index] { Wake(*devices_[index]); });
}

void Population::Wake(SimDevice& dev) {
  // A device that lost its session has nothing to sync with.
  const bool asleep =
      dev.away && dev.connected_at < 0 && dev.signing_in_since < 0 && !dev.core.session().credential().empty();
  world_->recorder.PushArrived(asleep);
  if (!asleep) return;  // in use (a push while online, or before it ever started), or awake already
  dev.waking = true;
  dev.woken_at = world_->Now();
  Connect(dev);
}

void Population::Act(size_t index, Recorder::Action action, uint64_t forward_to, uint64_t random_id) {
  SimDevice& dev = *devices_[index];
  world_->recorder.ActionOffered(action);
  api::ClientFrame frame;
  if (action == Recorder::Action::kEdit && dev.last_sent_id != 0) {
    frame.mutable_edit_message()->set_id(dev.last_sent_id);
    std::string text = std::to_string(++dev.edits);  // a new text each time
    text.resize(std::max<size_t>(text.size(), world_->scenario.workload.text_bytes), 'e');
    frame.mutable_edit_message()->set_text(std::move(text));
  } else if (action == Recorder::Action::kDelete && dev.last_sent_id != 0) {
    frame.mutable_delete_messages()->add_ids(std::exchange(dev.last_sent_id, 0));
    frame.mutable_delete_messages()->set_revoke(true);
  } else if (action == Recorder::Action::kRead && dev.last_chat != 0) {
    api::ReadHistory* read = frame.mutable_read_history();
    world_->IsGroup(dev.last_chat) ? read->set_chat_id(dev.last_chat) : read->set_peer_user(dev.last_chat);
  } else if (action == Recorder::Action::kForward && dev.last_received != 0) {
    api::ForwardMessage* forward = frame.mutable_forward_message();
    forward->set_id(dev.last_received);
    world_->IsGroup(forward_to) ? forward->set_chat_id(forward_to) : forward->set_peer_user(forward_to);
    forward->set_random_id(random_id);
  }
  if (frame.body_case() == api::ClientFrame::BODY_NOT_SET || dev.away || dev.core.state() != Device::State::kReady) {
    return world_->recorder.ActionSkipped(action);
  }
  if (frame.has_forward_message())
    world_->recorder.Forwarded(random_id, world_->Now(), dev.user, forward_to, dev.base_conn);
  dev.actions[dev.core.Request(std::move(frame))] = action;
}

bool Population::PostToChannel(size_t index, uint64_t channel, uint64_t random_id) {
  SimDevice& dev = *devices_[index];
  if (dev.away || dev.core.state() != Device::State::kReady) return false;  // awake in the background only
  dev.core.SendToChannel(channel, std::string(world_->scenario.workload.text_bytes, 'x'), random_id);
  return true;
}

bool Population::Ready(size_t index) const {
  const SimDevice& dev = *devices_[index];
  return !dev.away && dev.core.state() == Device::State::kReady;
}

uint64_t Population::Request(size_t index, api::ClientFrame frame) {
  return devices_[index]->core.Request(std::move(frame));
}

void Population::SendDocument(size_t index, uint64_t peer, const api::Document& document, uint64_t random_id) {
  SimDevice& from = *devices_[index];
  world_->recorder.Sent(random_id, world_->Now(), from.user, peer, from.base_conn);
  WithTracing(world_->PickForTrace(from.user, from.core.device(), peer),
              [&] { from.core.SendDocument(peer, document, "", random_id); });
}

void Population::SimDevice::SendFrame(const api::ClientFrame& frame) {
  ServiceNode* gw = pop->gateway_;
  const ConnId c = conn;
  const std::string_view label = pop->tracing() ? BodyName(frame) : "";
  const double cpu = pop->world_->Draw(*pop->client_frame_cost_);
  auto arrive = [gw, c, frame] { gw->ClientFrame(c, frame); };
  // A file's parts are bulk flows, sharing the link's bandwidth, as they
  // are from the gateway on; chat frames do not queue behind them.
  if (frame.has_upload_part()) return pop->TransmitBulk(*gw, label, frame.ByteSizeLong(), cpu, std::move(arrive));
  pop->Transmit(*gw, label, frame.ByteSizeLong(), cpu, std::move(arrive));
}

void Population::SimDevice::After(Micros delay, std::function<void()> fn) {
  pop->Post(pop->world_->Now() + static_cast<double>(delay) / 1e6, 0, std::move(fn));
}

double Population::SimDevice::VisibleAt(double now) const {
  const double tick = pop->world_->scenario.workload.ui_tick;
  if (tick <= 0) return now;
  // The phase follows from the device, not from a random stream: drawing
  // it would shift every later draw of the run.
  const double phase = static_cast<double>(StableHash(base_conn) % 1'000'000) / 1e6 * tick;
  return phase + std::ceil((now - phase) / tick) * tick;
}

Population::SimDevice& Population::ByConn(ConnId conn) {
  return *devices_[((conn - 1) % conn_stride_) / world_->shape.Count(role::kGateway)];
}

Population::SimDevice& Population::Of(Device& d) { return *static_cast<SimDevice*>(d.link()); }

void Population::OnServiceFrame(ConnId conn, const api::ServerFrame& frame) {
  SimDevice& d = ByConn(conn);
  if (conn == d.conn) d.core.OnFrame(frame);
}

void Population::OnClosed(ConnId conn) {
  SimDevice& d = ByConn(conn);
  if (conn != d.conn || d.connected_at < 0) return;
  d.core.Disconnected();
  d.connected_at = -1;
  d.conn += conn_stride_;
  if (d.waking) {  // a background sync is not retried: the next push or the user's return will do
    d.waking = false;
    world_->recorder.WakeEnded(Recorder::WakeEnd::kDropped);
    return;
  }
  const double delay = std::min(30.0, std::ldexp(1.0, static_cast<int>(std::min(d.reconnects, 5u))));
  ++d.reconnects;
  world_->recorder.Reconnect();
  Post(world_->Now() + delay * (0.5 + jitter_.Uniform()), 0, [this, &d] { Connect(d); });
}

void Population::OnSignedIn(Device& d) {
  SimDevice& dev = Of(d);
  dev.reconnects = 0;
  if (dev.signing_in_since < 0) return;
  world_->recorder.SignedIn(world_->Now() - dev.signing_in_since, std::exchange(dev.added, false));
  dev.signing_in_since = -1;
  if (std::exchange(dev.holds_phone, false)) world_->signing_in.erase(dev.user);
  awaiting_code_.erase(ProvisionedPhone(d.user()));
}

void Population::Offer(size_t index, uint64_t peer, uint64_t random_id) {
  SimDevice& from = *devices_[index];
  if (from.core.state() != Device::State::kReady) {
    world_->recorder.Held();
    from.held.emplace_back(peer, random_id);
    return;
  }
  Send(from, peer, random_id);
}

void Population::Send(SimDevice& from, uint64_t peer, uint64_t random_id) {
  world_->recorder.Sent(random_id, world_->Now(), from.user, peer, from.base_conn);
  auto send = [&] {
    std::string text(world_->scenario.workload.text_bytes, 'x');
    world_->IsGroup(peer) ? from.core.SendToChat(peer, text, random_id) : from.core.SendText(peer, text, random_id);
  };
  WithTracing(world_->PickForTrace(from.user, from.core.device(), peer), send);
}

void Population::SendToBot(size_t index, uint64_t bot, const std::string& text, uint64_t random_id) {
  devices_[index]->core.SendText(bot, text, random_id);
}

void Population::OnDelivered(Device& d, const api::Message& m) {
  SimDevice& dev = Of(d);
  if (world_->bots != nullptr && (world_->IsBot(m.from_user()) || world_->IsBot(m.peer_user()))) {
    ++dev.delivered;
    dev.shown_pts = d.pts();
    return world_->bots->Delivered(m, dev.user, dev.base_conn - 1);
  }
  // A channel's posts are counted apart (summary "channels"): the chat
  // deliveries are checked against what each box holds.
  if (m.channel_id() != 0) return world_->recorder.ChannelDelivered(m.random_id(), world_->Now(), dev.connected_at);
  ++dev.delivered;
  dev.last_chat = m.chat_id() != 0 ? m.chat_id() : m.from_user();
  dev.last_received = m.id();
  world_->recorder.Shown(d.user(), m.random_id(), d.pts() <= dev.shown_pts);
  dev.shown_pts = d.pts();
  world_->recorder.Delivered(m.random_id(), world_->Now(), dev.connected_at, dev.VisibleAt(world_->Now()));
}

void Population::OnSent(Device& d, const api::SentMessage& s) {
  if (s.channel_id() != 0) return world_->recorder.PostAcked(s.random_id());  // measured where members show it
  ++Of(d).sends_accepted;
  if (world_->bots != nullptr && world_->bots->Sending(s.random_id())) return world_->bots->Acked(s.random_id());
  Of(d).last_sent_id = s.message_id();
  world_->recorder.Acked(s.random_id(), world_->Now());
}

void Population::OnForwardStored(Device& d, const api::Message& m) {
  ++Of(d).sends_accepted;  // its own copy: not delivered to it
  world_->recorder.ForwardStored(m.random_id());
}

void Population::OnBoxUpdate(Device& d, const api::Update& u) {
  if (u.channel_box() == 0) ++Of(d).delivered;  // its box's updates are all accounted for
}

void Population::OnSynced(Device& d) {
  SimDevice& dev = Of(d);
  if (dev.register_push) {  // until its Done comes (OnServerFrame): on every sync, as apps do at start
    api::ClientFrame frame;
    frame.mutable_register_device()->set_token(PushToken(dev.base_conn - 1));
    dev.push_request = dev.core.Request(std::move(frame));
  }
  if (dev.waking) {
    world_->recorder.WokeAndSynced(world_->Now() - dev.woken_at);
    dev.waking = false;
    // Hangs up once the device's frame is handled; its held sends wait
    // for the user. Not if the user came back meanwhile.
    const ConnId conn = dev.conn;
    Post(world_->Now(), 0, [this, &dev, conn] {
      if (dev.conn == conn && dev.away && dev.connected_at >= 0) Hangup(dev);
    });
    return;
  }
  std::vector<std::pair<uint64_t, uint64_t>> held;
  held.swap(dev.held);
  for (const auto& [peer, random_id] : held) Send(dev, peer, random_id);
  // Devices that joined after the start, or came back from a time away,
  // caught up on what they missed.
  if (dev.CatchingUp(world_->scenario.workload.connect_ramp))
    world_->recorder.Synced(dev.connected_at, world_->Now() - dev.connected_at);
  if (!dev.synced_once && world_->bots != nullptr) {
    world_->bots->FirstSynced(dev.user, dev.base_conn - 1);
  }
  dev.synced_once = true;
  dev.returning = false;
}

void Population::OnError(Device& d, const api::Error& e) {
  SimDevice& dev = Of(d);
  if (dev.signing_in_since >= 0 && d.state() == Device::State::kSignedOut) return SignInFailed(dev, e);
  if (std::exchange(dev.action_failed, false)) return;  // in summary "actions", not a message's error
  world_->recorder.Error();
}

void Population::Relogin(size_t index) {
  SimDevice& dev = *devices_[index];
  if (dev.away || dev.signing_in_since >= 0 || dev.core.state() != Device::State::kReady) return;
  if (!world_->signing_in.insert(dev.user).second) return;  // another device of the user is
  dev.holds_phone = true;
  Hangup(dev);
  dev.core.ForgetSession();
  dev.signing_in_since = world_->Now();
  dev.code_tries = 0;
  world_->recorder.SignInStarted();
  Connect(dev);
}

void Population::OnAuthorized(Device& d, const api::Authorization&) { Of(d).register_push = true; }

void Population::OnServerFrame(Device& d, const api::ServerFrame& f) {
  SimDevice& dev = Of(d);
  if (dev.register_push && f.request_id() == dev.push_request && f.has_done()) dev.register_push = false;
  // A media request's answer (workload.media); its error is counted there.
  if (world_->media && f.request_id() != 0 && world_->media->OnFrame(dev.base_conn - 1, f)) {
    dev.action_failed = f.has_error();
    return;
  }
  if (auto it = dev.actions.find(f.request_id()); f.request_id() != 0 && it != dev.actions.end()) {
    // A forward is answered as a send is.
    world_->recorder.ActionAnswered(it->second, f.has_done() || f.has_sent_message());
    dev.action_failed = f.has_error();  // counted here: OnError, which follows, skips it
    dev.actions.erase(it);
  }
}

void Population::OnSignInNeeded(Device& d) {
  SimDevice& dev = Of(d);
  if (dev.signing_in_since < 0) {  // a device just added, or its session was revoked
    dev.signing_in_since = world_->Now();
    world_->recorder.SignInStarted(dev.added);
  }
  // The code goes to the user's one phone: one of its devices at a time.
  if (!dev.holds_phone && !world_->signing_in.insert(dev.user).second) return WaitForPhone(dev);
  dev.holds_phone = true;
  AskCode(dev, std::max(0.0, dev.next_code_at - world_->Now()));
}

// Another device of the user is signing in: this one tries again in 5 s,
// pinging meanwhile so that the gateway's sign-in timeout keeps its
// connection (a closed one tries again when it reconnects).
void Population::WaitForPhone(SimDevice& dev) {
  const ConnId conn = dev.conn;
  Post(world_->Now() + 5, 0, [this, &dev, conn] {
    if (dev.conn != conn || dev.core.state() != Device::State::kSignedOut) return;
    dev.core.Ping();
    OnSignInNeeded(dev.core);
  });
}

void Population::AskCode(SimDevice& dev, double after) {
  const ConnId conn = dev.conn;
  dev.next_code_at = world_->Now() + after;
  Post(world_->Now() + after, 0, [this, &dev, conn] {
    if (dev.conn != conn || dev.core.state() != Device::State::kSignedOut) return;
    const std::string phone = ProvisionedPhone(dev.user);
    awaiting_code_[phone] = &dev;
    ++dev.code_tries;
    dev.code_asked_at = world_->Now();
    world_->recorder.CodeRequested();
    dev.core.RequestCode(phone);
    if (dev.pinging != conn) KeepAlive(dev, conn);
  });
}

// A phone waiting for its SMS pings, as apps do, so the gateway's sign-in
// timeout does not close its connection; a code that has not come within a
// minute is asked again (the user taps "resend").
void Population::KeepAlive(SimDevice& dev, ConnId conn) {
  dev.pinging = conn;
  Post(world_->Now() + 10, 0, [this, &dev, conn] {
    if (dev.conn != conn || dev.core.state() != Device::State::kSignedOut) {
      dev.pinging = 0;
      return;
    }
    dev.core.Ping();
    if (world_->Now() - dev.code_asked_at >= 60 && dev.next_code_at <= world_->Now()) AskCode(dev);
    KeepAlive(dev, conn);
  });
}

void Population::SignInFailed(SimDevice& dev, const api::Error& e) {
  if (e.code() == api::SESSION_PASSWORD_NEEDED) {  // not a failure: the account's second step
    world_->recorder.PasswordAsked();
    return dev.core.SubmitPassword("pw-" + std::to_string(dev.user));
  }
  world_->recorder.SignInFailure(e.code());
  switch (e.code()) {
    case api::PASSWORD_HASH_INVALID: return dev.core.SubmitPassword("pw-" + std::to_string(dev.user));
    case api::FLOOD_WAIT: return AskCode(dev, std::max<double>(e.retry_after_s(), 1));
    default:  // no code came, or it expired: ask again, waiting longer each time (at most
              // 20 s, inside the gateway's sign-in timeout)
      return AskCode(dev, std::min(20.0, 5.0 * std::ldexp(1.0, static_cast<int>(std::min(dev.code_tries, 2u)))));
  }
}

void Population::SmsArrived(const OutboundMessage& m, double at) {
  auto it = awaiting_code_.find(m.to);
  if (it == awaiting_code_.end()) return;
  SimDevice* dev = it->second;
  Post(at, 0, [dev, m] {
    if (dev->core.state() != Device::State::kSignedOut) return;
    const size_t digits = m.text.find_first_of("0123456789");
    if (digits == std::string::npos) return;
    api::ClientInfo info;
    info.set_device_model("simulated");
    dev->core.SubmitCode(m.text.substr(digits, 5), info);
  });
}

void Population::OnSendFailed(Device&, uint64_t random_id, const api::Error&) {
  if (world_->bots != nullptr && world_->bots->Sending(random_id)) return world_->bots->SendFailed(random_id);
  if (!world_->recorder.PostFailed(random_id)) world_->recorder.GaveUp();
}

}  // namespace msgbed::sim
