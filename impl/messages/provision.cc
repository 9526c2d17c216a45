#include "messages/provision.h"

#include "messages/box_store.h"
#include "messages/channel_keys.h"
#include "messages/placement.h"

namespace msgbed {

Status ProvisionChannel(const std::function<KvStore&(const Address&)>& store_of, const ClusterShape& shape,
                        storage::ChannelRecord record, const std::vector<uint64_t>& members) {
  KvStore& owner = store_of(ChannelOwner(shape, record.id()));
  record.set_members_count(members.size());
  WriteBatch batch;
  batch.Put(ChannelRecordKey(record.id()), record.SerializeAsString());
  for (uint64_t user : members) batch.Put(ChannelMemberKey(record.id(), user), "");
  if (Status s = owner.Write(batch); !s.ok()) return s;
  for (uint64_t user : members) {
    BoxStore boxes(&store_of(BoxOwner(shape, user)));
    BoxStore::Change change;
    if (Status s = boxes.Begin(user, &change); !s.ok()) return s;
    change.Membership(record.id(), true);
    if (Status s = boxes.Commit(&change); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ProvisionGroup(const std::function<KvStore&(const Address&)>& store_of, const ClusterShape& shape,
                      const storage::ChatRecord& record) {
  WriteBatch batch;
  batch.Put(ChatRecordKey(record.id()), record.SerializeAsString());
  return store_of(ChatOwner(shape, record.id())).Write(batch);
}

}  // namespace msgbed
