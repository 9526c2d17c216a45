// GetHistory (client_api.proto): a page of a chat read from its box's chat
// index ('c', box_store.h), newest first.
#include <algorithm>
#include <cstdlib>

#include "messages/message_service.h"

namespace msgbed {
namespace {

// A message of the page and how far it is from offset_id (position p >= 0
// is p, position -k is k - 1): the nearest are kept when the page would be
// too large for a frame.
struct Candidate {
  uint64_t distance;
  uint64_t id;
};

}  // namespace

void MessageService::HandleGetHistory(const Incoming& in, const messages::GetHistory& req) {
  const api::GetHistory& ask = req.request();
  const ChatKey chat{ask.peer_user(), ask.chat_id(), ask.channel_id()};
  if (auto code = CheckChat(chat); code != api::ERROR_NONE) {
    return AnswerError(in.reply_to, code, "name one of peer_user, chat_id and channel_id");
  }
  if (std::abs(static_cast<int64_t>(ask.add_offset())) > kMaxHistoryOffset) {
    return AnswerError(in.reply_to, api::OFFSET_INVALID, "add_offset reaches further than 10000 messages");
  }
  BoxStore* store = &boxes_;
  uint64_t box = req.client().user();
  if (chat.channel_id != 0) {
    storage::ChannelRecord record;
    if (const Refusal r = CheckMember(chat.channel_id, box, &record); !r.ok()) return AnswerRefusal(in.reply_to, r);
    store = &channel_boxes_;
    box = chat.channel_id;
  }
  api::ServerFrame frame;
  if (Status s = ReadHistoryPage(*store, box, chat, ask, frame.mutable_history()); !s.ok()) {
    return AnswerError(in.reply_to, api::INTERNAL, s.message());
  }
  env_->Stats().Add("messages.get_history");
  Answer(in.reply_to, std::move(frame));
}

Status MessageService::ReadHistoryPage(BoxStore& store, uint64_t box, const ChatKey& chat, const api::GetHistory& ask,
                                       api::History* page) {
  const uint32_t limit = ask.limit() == 0 ? kDefaultHistoryLimit : std::min(ask.limit(), kMaxHistoryLimit);
  const int64_t first = ask.add_offset(), last = first + limit - 1;  // positions
  const uint64_t lo = ask.min_id() + 1, hi = ask.max_id() == 0 ? UINT64_MAX : ask.max_id();
  const uint64_t offset = ask.offset_id() == 0 ? UINT64_MAX : ask.offset_id();
  std::vector<Candidate> picked;
  std::vector<uint64_t> ids;
  // Positions -1, -2, ...: ids at or after offset, oldest first.
  if (first < 0) {
    if (Status s = store.ChatIds(box, chat, std::max(lo, offset), hi, static_cast<size_t>(-first), false, &ids);
        !s.ok())
      return s;
    for (uint64_t k = last < 0 ? static_cast<uint64_t>(-last - 1) : 0; k < ids.size(); ++k)
      picked.push_back({k, ids[k]});
  }
  // Positions 0, 1, ...: ids before offset, newest first.
  if (last >= 0) {
    if (Status s = store.ChatIds(box, chat, lo, std::min(hi, offset), static_cast<size_t>(last + 1), true, &ids);
        !s.ok())
      return s;
    for (uint64_t p = std::max<int64_t>(first, 0); p < ids.size(); ++p) picked.push_back({p, ids[p]});
  }
  std::sort(picked.begin(), picked.end(),
            [](const Candidate& a, const Candidate& b) { return a.distance < b.distance; });
  std::vector<storage::StoredMessage> found;
  size_t bytes = 0;
  for (const Candidate& c : picked) {
    Status s;
    auto m = store.FindMessage(box, c.id, &s);
    if (!s.ok()) return s;
    if (!m || m->deleted()) continue;
    bytes += m->message().ByteSizeLong();
    if (bytes > kMaxDifferenceBytes && !found.empty()) break;
    found.push_back(std::move(*m));
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.message().id() > b.message().id(); });
  for (auto& m : found) *page->add_messages() = std::move(*m.mutable_message());
  return Status::Ok();
}

}  // namespace msgbed
