// Groups: four users with two devices each on a cluster of three message
// instances, and helpers to ask, to read boxes back, and to rebuild what a
// device shows from what it was told. Shared by the chat and channel tests.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "messages/box_store.h"
#include "messages/message_service.h"
#include "messages/placement.h"
#include "unit/ask.h"
#include "unit/test_cluster.h"

namespace msgbed::testing {

// Users 1..4 whose boxes spread over three message instances.
struct Groups : ::testing::Test {
  explicit Groups(std::map<std::string, RoleSettings> settings = {}, ClusterShape shape = Shape(2, 3, 2, 4))
      : c(std::move(shape), RoleRegistry::Global(), std::move(settings)) {}

  TestCluster c;
  std::map<uint64_t, std::vector<TestDevice*>> devices;  // user -> its devices

  void SetUp() override {
    for (uint64_t user = 1; user <= 4; ++user) {
      for (uint64_t device = 1; device <= 2; ++device) {
        TestDevice& d = c.AddDevice(user, device, static_cast<uint32_t>(device - 1));
        c.Connect(d);
        devices[user].push_back(&d);
      }
    }
    c.Run();
  }
  TestDevice& dev(uint64_t user, size_t i = 0) { return *devices[user][i]; }

  // Sends frame from d and runs the cluster; the answer to it.
  api::ServerFrame Ask(TestDevice& d, api::ClientFrame frame) { return testing::Ask(c, d, std::move(frame)); }
  api::ErrorCode ErrorOf(TestDevice& d, api::ClientFrame frame) { return Ask(d, std::move(frame)).error().code(); }

  uint64_t CreateGroup(TestDevice& creator, std::vector<uint64_t> users, uint64_t random_id = 77) {
    api::ClientFrame f;
    f.mutable_create_chat()->set_title("friends");
    f.mutable_create_chat()->set_random_id(random_id);
    for (uint64_t u : users) f.mutable_create_chat()->add_users(u);
    const api::ServerFrame answer = Ask(creator, f);
    EXPECT_TRUE(answer.has_chat()) << answer.ShortDebugString();
    return answer.chat().id();
  }
  static api::ClientFrame Member(bool add, uint64_t chat, uint64_t user) {
    api::ClientFrame f;
    auto* r = add ? f.mutable_add_chat_user() : nullptr;
    if (r) {
      r->set_chat_id(chat);
      r->set_user_id(user);
    } else {
      f.mutable_delete_chat_user()->set_chat_id(chat);
      f.mutable_delete_chat_user()->set_user_id(user);
    }
    return f;
  }

  BoxStore Boxes(uint64_t user) { return BoxStore(&c.substrate(BoxOwner(c.shape(), user)).Store()); }
  storage::BoxHead Head(uint64_t user) {
    storage::BoxHead head;
    EXPECT_TRUE(Boxes(user).Head(user, &head).ok());
    return head;
  }
  // The box's messages as they now read: id -> text ("" when deleted).
  std::map<uint64_t, std::string> BoxView(uint64_t user) {
    std::map<uint64_t, std::string> view;
    BoxStore boxes = Boxes(user);
    for (uint64_t id = 1; id <= Head(user).last_message_id(); ++id) {
      Status s;
      auto m = boxes.FindMessage(user, id, &s);
      if (m) view[id] = m->deleted() ? "" : m->message().text();
    }
    return view;
  }
  // What a device shows of its box (or of a channel), built only from what
  // it was told: its own sends (by SentMessage), deliveries, edits and
  // deletions.
  static std::map<uint64_t, std::string> DeviceView(const TestDevice& d, const std::map<uint64_t, std::string>& own,
                                                    uint64_t channel = 0) {
    std::map<uint64_t, std::string> view = own;
    for (const api::Message& m : d.delivered) {
      if (m.channel_id() == channel) view[m.id()] = m.text();
    }
    for (const api::Update& u : d.box_updates) {
      if (u.channel_box() != channel) continue;
      if (u.kind() == api::Update::EDIT_MESSAGE) view[u.message().id()] = u.message().text();
      for (uint64_t id : u.deleted_ids()) view[id] = "";
    }
    return view;
  }
  static std::vector<std::string> Texts(const TestDevice& d) {
    std::vector<std::string> out;
    for (const api::Message& m : d.delivered) out.push_back(m.action() == api::ACTION_NONE ? m.text() : "*");
    return out;
  }
};

}  // namespace msgbed::testing
