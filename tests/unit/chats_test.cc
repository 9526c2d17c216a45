// Basic groups, edits, deletions, read marks, replies, forwards and typing
// through the real cores: every box and every device agree afterwards.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <set>

#include "core/rng.h"
#include "unit/chat_cluster.h"

namespace msgbed::testing {
namespace {

TEST_F(Groups, AGroupMessageReachesEveryMemberDeviceOnceAndNobodyElse) {
  const uint64_t chat = CreateGroup(dev(1), {2, 3});
  ASSERT_NE(chat, 0u);
  dev(1).core.SendToChat(chat, "hello group", 1);
  c.Run();
  dev(2).core.SendToChat(chat, "hi 1", 2);
  c.Run();
  EXPECT_EQ(Texts(dev(1, 1)), (std::vector<std::string>{"*", "hello group", "hi 1"}))
      << "the creator's other device sees the creation and both messages";
  EXPECT_EQ(Texts(dev(2)), (std::vector<std::string>{"*", "hello group"})) << "its own message is no delivery";
  for (TestDevice* d : devices[3]) EXPECT_EQ(Texts(*d), (std::vector<std::string>{"*", "hello group", "hi 1"}));
  for (TestDevice* d : devices[4]) EXPECT_TRUE(d->delivered.empty()) << "user 4 is not in the group";
  EXPECT_EQ(dev(3).delivered[1].chat_id(), chat);
  EXPECT_EQ(dev(3).delivered[0].action(), api::ACTION_CHAT_CREATE);
  EXPECT_EQ(dev(3).delivered[0].text(), "friends");
  for (uint64_t user = 1; user <= 3; ++user) {
    for (TestDevice* d : devices[user]) EXPECT_EQ(d->core.pts(), Head(user).pts()) << "user " << user;
  }
}

TEST_F(Groups, ARetriedCreateNamesTheSameGroupAndTellsItOnce) {
  const uint64_t first = CreateGroup(dev(1), {2}, 5);
  const uint64_t again = CreateGroup(dev(1), {2}, 5);
  EXPECT_EQ(first, again);
  EXPECT_EQ(dev(2).delivered.size(), 1u);
  EXPECT_NE(CreateGroup(dev(1), {2}, 6), first) << "another random_id is another group";
}

// The group's owner changed the record but its answer was lost: the asker
// got INTERNAL and asks again. The retry succeeds and the group is told
// once, not never (USER_ALREADY_PARTICIPANT) and not twice.
TEST_F(Groups, AnAddOrRemoveRetriedAfterALostAnswerSucceedsAndTellsTheGroupOnce) {
  // The creator (who may remove others) asks, its box away from the group's owner.
  const uint64_t asker = 1;
  uint64_t random_id = 1;
  while (SameAddress(BoxOwner(c.shape(), asker), ChatOwner(c.shape(), NewGroupId(asker, random_id, 0)))) ++random_id;
  const uint64_t chat = CreateGroup(dev(asker), {2, 3}, random_id);
  for (const bool add : {true, false}) {
    bool lost = false;
    c.drop = [&](const Envelope& e) {
      if (lost || !e.body || e.body->GetDescriptor() != messages::ChatAnswer::descriptor()) return false;
      return lost = true;
    };
    dev(asker).core.Request(Member(add, chat, 4));
    c.Run();
    c.Advance(kChatCallTimeout);
    c.Run();
    ASSERT_TRUE(lost);
    ASSERT_FALSE(dev(asker).errors.empty());
    ASSERT_EQ(dev(asker).errors.back().code(), api::INTERNAL) << "the owner's answer was lost";
    const api::ServerFrame retried = Ask(dev(asker), Member(add, chat, 4));
    EXPECT_TRUE(retried.has_done()) << retried.ShortDebugString();
  }
  for (uint64_t u : {1, 2, 3, 4}) {
    size_t adds = 0, removes = 0;
    for (const api::Message& m : dev(u).delivered) {
      adds += m.action() == api::ACTION_ADD_USER;
      removes += m.action() == api::ACTION_DELETE_USER;
    }
    EXPECT_EQ(adds, 1u) << "user " << u;
    EXPECT_EQ(removes, 1u) << "user " << u;
  }
}

TEST_F(Groups, MembersJoinAndLeaveAndOnlyMembersSeeWhatIsSentMeanwhile) {
  const uint64_t chat = CreateGroup(dev(1), {2});
  dev(1).core.SendToChat(chat, "before 3 joined", 1);
  c.Run();
  ASSERT_TRUE(Ask(dev(2), Member(true, chat, 3)).has_done());
  dev(1).core.SendToChat(chat, "with 3", 2);
  c.Run();
  ASSERT_TRUE(Ask(dev(1), Member(false, chat, 2)).has_done());
  dev(1).core.SendToChat(chat, "after 2 left", 3);
  c.Run();
  EXPECT_EQ(Texts(dev(3)), (std::vector<std::string>{"*", "with 3", "*", "after 2 left"}));
  EXPECT_EQ(Texts(dev(2)), (std::vector<std::string>{"*", "before 3 joined", "*", "with 3", "*"}))
      << "the one removed is told, and sees nothing after; service messages reach the actor's devices too";
  EXPECT_EQ(dev(2).delivered.back().action(), api::ACTION_DELETE_USER);
  EXPECT_EQ(dev(2).delivered.back().action_user(), 2u);
  api::ClientFrame get;
  get.mutable_get_chat()->set_chat_id(chat);
  const api::ServerFrame info = Ask(dev(3), get);
  EXPECT_EQ(std::vector<uint64_t>(info.chat().members().begin(), info.chat().members().end()),
            (std::vector<uint64_t>{1, 3}));
}

TEST_F(Groups, WhatNonMembersAndNonCreatorsMayNotDoChangesNothing) {
  const uint64_t chat = CreateGroup(dev(1), {2, 3});
  const storage::BoxHead before = Head(4);
  dev(4).core.SendToChat(chat, "let me in", 1);
  c.Run();
  ASSERT_FALSE(dev(4).errors.empty());
  EXPECT_EQ(dev(4).errors.back().code(), api::CHAT_WRITE_FORBIDDEN);
  EXPECT_EQ(Head(4).pts(), before.pts()) << "nothing stored for the refused sender";
  EXPECT_EQ(ErrorOf(dev(4), Member(true, chat, 4)), api::CHAT_WRITE_FORBIDDEN);
  EXPECT_EQ(ErrorOf(dev(2), Member(false, chat, 3)), api::CHAT_ADMIN_REQUIRED);
  EXPECT_EQ(ErrorOf(dev(1), Member(true, chat, 2)), api::USER_ALREADY_PARTICIPANT);
  EXPECT_EQ(ErrorOf(dev(1), Member(false, chat, 4)), api::USER_NOT_PARTICIPANT);
  EXPECT_EQ(ErrorOf(dev(1), Member(true, 12345, 4)), api::CHAT_ID_INVALID);
  dev(1).core.SendToChat(999, "no such group", 2);
  c.Run();
  EXPECT_EQ(dev(1).errors.back().code(), api::CHAT_ID_INVALID);
  api::ClientFrame both;
  both.mutable_send_message()->set_peer_user(2);
  both.mutable_send_message()->set_chat_id(chat);
  both.mutable_send_message()->set_random_id(3);
  both.mutable_send_message()->set_text("x");
  EXPECT_EQ(ErrorOf(dev(1), both), api::PEER_AMBIGUOUS);
  EXPECT_EQ(dev(3).delivered.size(), 1u) << "members saw only the creation";
}

TEST_F(Groups, GroupsHaveTitlesAndAtMost200Members) {
  api::ClientFrame f;
  f.mutable_create_chat()->set_title("   ");
  f.mutable_create_chat()->set_random_id(1);
  EXPECT_EQ(ErrorOf(dev(1), f), api::CHAT_TITLE_EMPTY);
  f.mutable_create_chat()->set_title(std::string(129, 'x'));
  EXPECT_EQ(ErrorOf(dev(1), f), api::CHAT_TITLE_EMPTY);
  f.mutable_create_chat()->set_title("big");
  for (uint64_t u = 2; u <= 201; ++u) f.mutable_create_chat()->add_users(u);
  EXPECT_EQ(ErrorOf(dev(1), f), api::USERS_TOO_MUCH) << "201 with the creator";
  f.mutable_create_chat()->mutable_users()->RemoveLast();
  const api::ServerFrame created = Ask(dev(1), f);
  ASSERT_TRUE(created.has_chat());
  EXPECT_EQ(created.chat().members_size(), 200);
  EXPECT_EQ(ErrorOf(dev(1), Member(true, created.chat().id(), 500)), api::USERS_TOO_MUCH);
}

TEST_F(Groups, EditsReachEveryCopyAndOnlyTheSenderMayEdit) {
  const uint64_t chat = CreateGroup(dev(1), {2, 3});
  dev(1).core.SendToChat(chat, "helo", 1);
  dev(1).core.SendText(4, "privet", 2);
  c.Run();
  const uint64_t group_id = dev(1).sent[0].message_id(), private_id = dev(1).sent[1].message_id();
  api::ClientFrame edit;
  edit.mutable_edit_message()->set_id(group_id);
  edit.mutable_edit_message()->set_text("hello");
  ASSERT_TRUE(Ask(dev(1), edit).has_done());
  edit.mutable_edit_message()->set_id(private_id);
  edit.mutable_edit_message()->set_text("hi");
  ASSERT_TRUE(Ask(dev(1), edit).has_done());
  for (uint64_t user = 1; user <= 4; ++user) {
    for (TestDevice* d : devices[user]) {
      ASSERT_FALSE(d->box_updates.empty()) << "user " << user;
      EXPECT_EQ(d->box_updates.back().kind(), api::Update::EDIT_MESSAGE);
      EXPECT_EQ(d->box_updates.back().message().text(), user == 1 || user == 4 ? "hi" : "hello");
      EXPECT_EQ(d->core.pts(), Head(user).pts());
    }
  }
  EXPECT_EQ(ErrorOf(dev(1), edit), api::MESSAGE_NOT_MODIFIED);
  edit.mutable_edit_message()->set_id(dev(2).delivered[1].id());
  EXPECT_EQ(ErrorOf(dev(2), edit), api::MESSAGE_AUTHOR_REQUIRED) << "user 2 did not write it";
  edit.mutable_edit_message()->set_id(999);
  EXPECT_EQ(ErrorOf(dev(1), edit), api::MESSAGE_ID_INVALID);
  edit.mutable_edit_message()->set_id(private_id);
  edit.mutable_edit_message()->set_text(std::string(4097, 'x'));
  EXPECT_EQ(ErrorOf(dev(1), edit), api::MESSAGE_TOO_LONG);
  EXPECT_EQ(BoxView(4)[dev(4).delivered[0].id()], "hi") << "the refused edits changed nothing";
}

TEST_F(Groups, DeletingForMeLeavesOtherCopiesAndForEveryoneRemovesThem) {
  dev(1).core.SendText(2, "oops", 1);
  dev(1).core.SendText(2, "keep", 2);
  c.Run();
  const uint64_t oops = dev(1).sent[0].message_id(), keep = dev(1).sent[1].message_id();
  api::ClientFrame del;
  del.mutable_delete_messages()->add_ids(keep);
  ASSERT_TRUE(Ask(dev(1), del).has_done());
  EXPECT_EQ(BoxView(1)[keep], "");
  EXPECT_EQ(BoxView(2)[dev(2).delivered[1].id()], "keep") << "deleted for user 1 only";
  del.mutable_delete_messages()->set_ids(0, oops);
  del.mutable_delete_messages()->set_revoke(true);
  del.mutable_delete_messages()->add_ids(12345);  // unknown: skipped
  ASSERT_TRUE(Ask(dev(1), del).has_done());
  EXPECT_EQ(BoxView(2)[dev(2).delivered[0].id()], "") << "deleted for everyone";
  for (TestDevice* d : devices[2]) {
    ASSERT_FALSE(d->box_updates.empty());
    EXPECT_EQ(d->box_updates.back().kind(), api::Update::DELETE_MESSAGES);
  }
  // In a group, only the sender (or the creator) deletes for everyone.
  const uint64_t chat = CreateGroup(dev(1), {2, 3});
  dev(3).core.SendToChat(chat, "mine", 3);
  c.Run();
  del.mutable_delete_messages()->clear_ids();
  del.mutable_delete_messages()->add_ids(dev(2).delivered.back().id());
  EXPECT_EQ(ErrorOf(dev(2), del), api::MESSAGE_DELETE_FORBIDDEN);
  EXPECT_EQ(BoxView(3)[dev(3).sent.back().message_id()], "mine");
  del.mutable_delete_messages()->set_ids(0, dev(1).delivered.back().id());
  ASSERT_TRUE(Ask(dev(1), del).has_done()) << "the creator may";
  EXPECT_EQ(BoxView(3)[dev(3).sent.back().message_id()], "");
}

TEST_F(Groups, ReadMarksReachTheReadersDevicesAndTheSendersInTheirOwnIds) {
  dev(4).core.SendText(3, "filler", 9);  // 3's ids now differ from 1's
  c.Run();
  dev(1).core.SendText(3, "one", 1);
  dev(1).core.SendText(3, "two", 2);
  c.Run();
  api::ClientFrame read;
  read.mutable_read_history()->set_peer_user(1);
  read.mutable_read_history()->set_max_id(dev(3).delivered.back().id());
  ASSERT_TRUE(Ask(dev(3), read).has_done());
  const api::Update& inbox = dev(3, 1).box_updates.back();
  EXPECT_EQ(inbox.kind(), api::Update::READ_INBOX);
  EXPECT_EQ(inbox.peer_user(), 1u);
  EXPECT_EQ(inbox.max_id(), dev(3).delivered.back().id());
  for (TestDevice* d : devices[1]) {
    ASSERT_FALSE(d->box_updates.empty());
    const api::Update& outbox = d->box_updates.back();
    EXPECT_EQ(outbox.kind(), api::Update::READ_OUTBOX);
    EXPECT_EQ(outbox.peer_user(), 3u);
    EXPECT_EQ(outbox.max_id(), dev(1).sent.back().message_id()) << "in user 1's ids";
  }
  const size_t updates = dev(1, 1).box_updates.size();
  ASSERT_TRUE(Ask(dev(3), read).has_done());
  EXPECT_EQ(dev(1, 1).box_updates.size(), updates) << "reading again changes nothing";
  EXPECT_TRUE(dev(4).box_updates.empty()) << "user 4's message was not read";
}

TEST_F(Groups, RepliesPointAtTheReceiversCopyAndForwardsNameTheAuthor) {
  dev(1).core.SendText(2, "question", 1);
  c.Run();
  api::ClientFrame reply;
  reply.mutable_send_message()->set_peer_user(1);
  reply.mutable_send_message()->set_random_id(2);
  reply.mutable_send_message()->set_text("answer");
  reply.mutable_send_message()->set_reply_to_id(dev(2).delivered[0].id());
  ASSERT_TRUE(Ask(dev(2), reply).has_sent_message());
  EXPECT_EQ(dev(1, 1).delivered.back().reply_to_id(), dev(1).sent[0].message_id());
  api::ClientFrame fwd;
  fwd.mutable_forward_message()->set_id(dev(2).delivered[0].id());
  fwd.mutable_forward_message()->set_peer_user(3);
  fwd.mutable_forward_message()->set_random_id(3);
  ASSERT_TRUE(Ask(dev(2), fwd).has_sent_message());
  const api::Message& got = dev(3).delivered.back();
  EXPECT_EQ(got.text(), "question");
  EXPECT_EQ(got.from_user(), 2u);
  EXPECT_EQ(got.fwd_from_user(), 1u);
  reply.mutable_send_message()->set_random_id(4);
  reply.mutable_send_message()->set_peer_user(3);  // the message replied to is in another chat
  EXPECT_EQ(ErrorOf(dev(2), reply), api::MESSAGE_ID_INVALID);
}

TEST_F(Groups, TypingReachesTheOtherSideNowAndAtMostEveryFewSeconds) {
  const uint64_t chat = CreateGroup(dev(1), {2, 3});
  api::ClientFrame typing;
  typing.mutable_set_typing()->set_chat_id(chat);
  auto typings = [](const TestDevice& d) {
    return std::count_if(d.frames.begin(), d.frames.end(), [](const auto& f) { return f.has_typing(); });
  };
  ASSERT_TRUE(Ask(dev(1), typing).has_done());
  ASSERT_TRUE(Ask(dev(1), typing).has_done());
  for (uint64_t user : {2, 3}) {
    for (TestDevice* d : devices[user]) EXPECT_EQ(typings(*d), 1) << "the second was too soon";
  }
  EXPECT_EQ(typings(dev(1, 1)), 0) << "not to the typist's own devices";
  c.Advance(kTypingInterval);
  ASSERT_TRUE(Ask(dev(1), typing).has_done());
  EXPECT_EQ(typings(dev(2)), 2);
  EXPECT_EQ(dev(2).frames.back().typing().from_user(), 1u);
  EXPECT_EQ(Head(2).pts(), 1u) << "typing is not stored";
}

}  // namespace
}  // namespace msgbed::testing

namespace msgbed::testing {
namespace {

// Devices come and go, a messages instance crashes twice, and members send,
// edit, delete and read in a group and in private chats. Afterwards every
// device shows exactly what its box holds, with every update applied once.
TEST_F(Groups, UnderChurnAndCrashesEveryDeviceEndsShowingItsBox) {
  const uint64_t chat = CreateGroup(dev(1), {2, 3, 4});
  api::ClientFrame create;
  create.mutable_create_channel()->set_title("everyone");
  create.mutable_create_channel()->set_random_id(1);
  const uint64_t channel = Ask(dev(1), create).channel().id();
  for (uint64_t user = 2; user <= 4; ++user) {
    api::ClientFrame join;
    join.mutable_join_channel()->set_channel_id(channel);
    ASSERT_TRUE(Ask(dev(user), join).has_done());
  }
  Rng rng(7);
  std::map<uint64_t, std::string> texts;  // random_id -> text, of every send
  uint64_t next_random_id = 1000;
  int restarts = 0;
  auto pick_device = [&] { return devices[1 + rng.Below(4)][rng.Below(2)]; };
  for (int step = 0; step < 1500; ++step) {
    TestDevice& d = *pick_device();
    const uint64_t user = d.core.user();
    const uint64_t roll = rng.Below(100);
    if (roll < 10) {
      d.open ? c.Disconnect(d) : c.Connect(d);
    } else if (d.core.state() != Device::State::kReady) {
      continue;
    } else if (roll < 50) {
      const uint64_t id = ++next_random_id;
      texts[id] = "m" + std::to_string(id);
      if (roll < 25) {
        d.core.SendToChat(chat, texts[id], id);
      } else if (roll < 32) {
        d.core.SendToChannel(channel, texts[id], id);
      } else {
        d.core.SendText(1 + (user + rng.Below(3)) % 4, texts[id], id);
      }
    } else if (roll < 85 && !d.sent.empty()) {
      const api::SentMessage& mine = d.sent[rng.Below(d.sent.size())];
      api::ClientFrame f;
      if (roll < 65) {
        f.mutable_edit_message()->set_id(mine.message_id());
        f.mutable_edit_message()->set_channel_id(mine.channel_id());
        f.mutable_edit_message()->set_text("edited at step " + std::to_string(step));
      } else if (roll < 75) {
        f.mutable_delete_messages()->add_ids(mine.message_id());
        f.mutable_delete_messages()->set_revoke(rng.Below(2) == 0);
        f.mutable_delete_messages()->set_channel_id(mine.channel_id());
      } else {
        f.mutable_read_history()->set_chat_id(chat);
      }
      d.core.Request(f);
    } else if (roll >= 98) {
      c.Restart(MakeAddress(role::kMessages, static_cast<uint32_t>(rng.Below(3))));
      ++restarts;
    }
    if (rng.Below(4) == 0) c.Run();
    if (rng.Below(20) == 0) c.Advance(kSecond);
  }
  for (auto& [user, ds] : devices) {
    for (TestDevice* d : ds) {
      if (!d->open) c.Connect(*d);
    }
  }
  for (int i = 0; i < 30; ++i) {
    c.Advance(10 * kSecond);
    c.Run();
  }
  std::map<api::Update::Kind, int> kinds;  // what the devices were told, to show the test did it all
  for (auto& [user, ds] : devices) {
    for (TestDevice* d : ds) {
      for (const api::Update& u : d->box_updates) ++kinds[u.kind()];
    }
  }
  EXPECT_GT(restarts, 2);
  EXPECT_GT(kinds[api::Update::EDIT_MESSAGE], 50);
  EXPECT_GT(kinds[api::Update::DELETE_MESSAGES], 20);
  EXPECT_GT(kinds[api::Update::READ_INBOX], 10);
  EXPECT_GT(kinds[api::Update::READ_OUTBOX], 10);
  std::cout << restarts << " restarts; updates told: " << kinds[api::Update::EDIT_MESSAGE] << " edits, "
            << kinds[api::Update::DELETE_MESSAGES] << " deletions, " << kinds[api::Update::READ_INBOX] << " + "
            << kinds[api::Update::READ_OUTBOX] << " read marks; " << texts.size() << " sends\n";
  BoxStore channel_box(&c.substrate(ChannelOwner(c.shape(), channel)).Store(), 'C');
  storage::BoxHead channel_head;
  ASSERT_TRUE(channel_box.Head(channel, &channel_head).ok());
  EXPECT_GT(channel_head.last_message_id(), 20u);
  std::map<uint64_t, std::string> posts;  // the channel as it reads
  for (uint64_t id = 1; id <= channel_head.last_message_id(); ++id) {
    Status s;
    if (auto m = channel_box.FindMessage(channel, id, &s)) posts[id] = m->deleted() ? "" : m->message().text();
  }
  for (auto& [user, ds] : devices) {
    const std::map<uint64_t, std::string> box = BoxView(user);
    for (TestDevice* d : ds) {
      std::map<uint64_t, std::string> own, own_posts;
      for (const api::SentMessage& s : d->sent)
        (s.channel_id() ? own_posts : own)[s.message_id()] = texts[s.random_id()];
      EXPECT_EQ(d->core.channel_pts(channel), channel_head.pts());
      EXPECT_EQ(DeviceView(*d, own_posts, channel), posts) << "user " << user << " device " << d->core.device();
      EXPECT_EQ(d->core.pts(), Head(user).pts()) << "user " << user << " device " << d->core.device();
      EXPECT_EQ(DeviceView(*d, own), box) << "user " << user << " device " << d->core.device();
      std::set<std::pair<uint64_t, uint64_t>> seen;  // (channel, id)
      for (const api::Message& m : d->delivered) {
        EXPECT_TRUE(seen.insert({m.channel_id(), m.id()}).second) << "delivered twice";
      }
      EXPECT_EQ(d->core.unanswered(), 0u);
    }
  }
  // Every copy reads as its sender's does (unless one side deleted it).
  int compared = 0;
  for (uint64_t user = 1; user <= 4; ++user) {
    BoxStore boxes = Boxes(user);
    for (uint64_t id = 1; id <= Head(user).last_message_id(); ++id) {
      Status s;
      const auto copy = boxes.FindMessage(user, id, &s);
      if (!copy || copy->deleted() || copy->message().from_user() == user) continue;
      const uint64_t from = copy->message().from_user();
      const uint64_t origin = Boxes(from).FindCopy(from, from, copy->message().random_id(), &s);
      const auto first = Boxes(from).FindMessage(from, origin, &s);
      ASSERT_TRUE(first.has_value());
      if (first->deleted()) continue;
      EXPECT_EQ(copy->message().text(), first->message().text()) << "user " << user << " message " << id;
      ++compared;
    }
  }
  EXPECT_GT(compared, 100);
}

}  // namespace
}  // namespace msgbed::testing
