#include "messages/store_format.h"

#include <charconv>
#include <string>

#include "messages/box_store.h"

namespace msgbed {
namespace {

const char kFormatKey[] = "~format";

}  // namespace

void MarkMessagesStoreFormat(WriteBatch& batch) { batch.Put(kFormatKey, std::to_string(kMessagesStoreFormat)); }

Status MigrateMessagesStore(KvStore& store) {
  Status s;
  const auto v = store.Get(kFormatKey, &s);
  if (!s.ok()) return s;
  uint32_t format = 1;
  if (v && std::from_chars(v->data(), v->data() + v->size(), format).ec != std::errc()) {
    return Status::Corruption("the messages store's format is unreadable: '" + *v + "'");
  }
  if (format == kMessagesStoreFormat) return Status::Ok();
  if (format > kMessagesStoreFormat) {
    return Status::Invalid("the messages store has format " + std::to_string(format) + ", this binary knows up to " +
                           std::to_string(kMessagesStoreFormat) + ": run a newer msgbed");
  }
  // 1 -> 2: the chat index of user boxes and channel boxes.
  if (s = BoxStore(&store).IndexChats(); !s.ok()) return s;
  if (s = BoxStore(&store, 'C').IndexChats(); !s.ok()) return s;
  WriteBatch done;
  MarkMessagesStoreFormat(done);
  return store.Write(done);
}

}  // namespace msgbed
