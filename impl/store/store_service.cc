#include "store/store_service.h"

#include "messages/placement.h"
#include "store/box_keys.h"

namespace msgbed {

void StoreService::Register(Handlers& handlers) {
  handlers.On<store::Apply>([this](const Incoming& in, const store::Apply& m) { HandleApply(in, m); });
  handlers.On<store::PutBox>([this](const Incoming& in, const store::PutBox& m) { HandlePutBox(in, m); });
  handlers.On<store::GetVersions>([this](const Incoming& in, const store::GetVersions& m) { HandleVersions(in, m); });
  handlers.On<store::ListOwned>([this](const Incoming& in, const store::ListOwned& m) { HandleListOwned(in, m); });
  handlers.On<store::GetBox>([this](const Incoming& in, const store::GetBox& m) { HandleGetBox(in, m); });
}

void StoreService::Answer(const ReplyTo& to, bool ok, uint64_t version) {
  auto reply = NewBody<store::Applied>();
  reply->set_ok(ok);
  reply->set_version(version);
  env_->Reply(to, std::move(reply));
}

void StoreService::HandleApply(const Incoming& in, const store::Apply& req) {
  Status s;
  const uint64_t have = BoxVersion(env_->Kv(), req.id(), &s);
  if (!s.ok()) return env_->Stats().Add("store.storage_errors");
  if (req.version() <= have) return Answer(in.reply_to, true, have);  // a retry
  if (req.version() != have + 1) {
    env_->Stats().Add("store.behind");
    return Answer(in.reply_to, false, have);
  }
  WriteBatch batch;
  for (const store::Entry& e : req.ops()) e.deleted() ? batch.Delete(e.key()) : batch.Put(e.key(), e.value());
  PutBoxVersion(batch, req.id(), req.version());
  if (!env_->Kv().Write(batch).ok()) return env_->Stats().Add("store.storage_errors");
  env_->Stats().Add("store.applied");
  Answer(in.reply_to, true, req.version());
}

void StoreService::HandlePutBox(const Incoming& in, const store::PutBox& req) {
  Status s;
  const uint64_t have = BoxVersion(env_->Kv(), req.id(), &s);
  if (!s.ok()) return env_->Stats().Add("store.storage_errors");
  if (req.version() <= have) return Answer(in.reply_to, true, have);
  if (!ReplaceBox(env_->Kv(), req.id(), req.entries()).ok()) return env_->Stats().Add("store.storage_errors");
  env_->Stats().Add("store.boxes_rebuilt");
  Answer(in.reply_to, true, req.version());
}

void StoreService::HandleVersions(const Incoming& in, const store::GetVersions& req) {
  auto reply = NewBody<store::VersionList>();
  Status s;
  for (uint64_t id : req.ids()) reply->add_versions(BoxVersion(env_->Kv(), id, &s));
  if (!s.ok()) return env_->Stats().Add("store.storage_errors");
  env_->Reply(in.reply_to, std::move(reply));
}

void StoreService::HandleListOwned(const Incoming& in, const store::ListOwned& req) {
  auto reply = NewBody<store::BoxList>();
  const uint32_t limit = std::min(std::max(req.limit(), 1u), kMaxListedBoxes);
  std::string from = BoxVersionKey(req.after()) + '\0';
  const std::string end = "W";
  // Every box has a version key: the 'V' keys list the boxes.
  for (;;) {
    KvStore::Entries page;
    if (!env_->Kv().Scan(from, end, 512, &page).ok()) return env_->Stats().Add("store.storage_errors");
    for (const auto& [key, value] : page) {
      const uint64_t id = *PlacementIdOfKey(key);
      if (req.count() == 0 || OwnerIndex(id, req.count()) != req.index()) continue;
      reply->add_ids(id);
      reply->add_versions(DecodeBoxVersion(value));
      if (static_cast<uint32_t>(reply->ids_size()) == limit) break;
    }
    if (static_cast<uint32_t>(reply->ids_size()) == limit) break;
    if (page.size() < 512) {
      reply->set_done(true);
      break;
    }
    from = page.back().first + '\0';
  }
  env_->Reply(in.reply_to, std::move(reply));
}

void StoreService::HandleGetBox(const Incoming& in, const store::GetBox& req) {
  auto reply = NewBody<store::PutBox>();
  KvStore::Entries entries;
  Status s;
  reply->set_id(req.id());
  reply->set_version(BoxVersion(env_->Kv(), req.id(), &s));
  if (s.ok()) s = ReadBoxKeys(env_->Kv(), req.id(), &entries);
  if (!s.ok()) return env_->Stats().Add("store.storage_errors");
  for (auto& [key, value] : entries) {
    store::Entry* e = reply->add_entries();
    e->set_key(std::move(key));
    e->set_value(std::move(value));
  }
  env_->Reply(in.reply_to, std::move(reply));
}

}  // namespace msgbed
