// Retention (MessageOptions::retention): every sweep_interval, each
// instance walks the boxes it holds, users' then channels', and expires
// their messages older than the retention (BoxStore::Expire), a few boxes
// per turn so requests are served in between. Devices keep what they
// have; a device further behind than the updates left is told too_long.
#include "messages/message_service.h"

namespace msgbed {

void MessageService::StartSweep() {
  env_->StartTimer(options_.sweep_interval, [this] { SweepTurn(false, 0); });
}

void MessageService::SweepTurn(bool channels, uint64_t after) {
  BoxStore& store = channels ? channel_boxes_ : boxes_;
  std::vector<uint64_t> boxes;
  Status s = store.Boxes(after, kSweepBoxes, &boxes);
  const int64_t before = env_->Date() - options_.retention;
  uint64_t next = boxes.size() == kSweepBoxes ? boxes.back() : 0;  // 0: this kind of box is done
  for (uint64_t box : boxes) {
    // A box on its way here, or gone elsewhere, is swept by its owner.
    if (!s.ok() || !handoff_.Owns(box) || handoff_.Held(box)) continue;
    size_t expired = 0;
    s = store.Expire(box, before, kSweepMessages, &expired);
    env_->Stats().Add("messages.expired", expired);
    if (expired == kSweepMessages) {  // more of it next turn
      next = box - 1;
      break;
    }
  }
  if (!s.ok()) env_->Stats().Add("messages.storage_errors");
  if (s.ok() && next != 0) {
    env_->StartTimer(0, [this, channels, next] { SweepTurn(channels, next); });
  } else if (!channels) {
    env_->StartTimer(0, [this] { SweepTurn(true, 0); });
  } else {
    StartSweep();
  }
}

}  // namespace msgbed
