// Every core's handlers on arbitrary input: the real gateway, messages,
// sync and auth cores in the unit-test cluster (auth hashing passwords at
// the minimum cost), fed client frames and service
// messages of every type they handle, with bodies parsed from the input.
// Nothing may crash, leak or hit undefined behaviour.
//
// Input: a sequence of operations, each [op][target][len][len bytes]:
//   op % 3 == 0: a client frame on device (target % 4)'s connection
//   op % 3 == 1: a message of the type (target) a core (op / 3) handles
//   op % 3 == 2: time passes (target ms)
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "auth/password.h"
#include "core/address.h"
#include "unit/test_cluster.h"

namespace {

using namespace msgbed;

struct Input {
  const uint8_t* p;
  size_t n;
  bool Take(size_t k, const uint8_t** out) {
    if (k > n) return false;
    *out = p;
    p += k;
    n -= k;
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const RoleSettings cheap = {{"password_ops", double(MinPasswordOps())},
                              {"password_memory", double(MinPasswordMemory())}};
  testing::TestCluster c(testing::Shape(1, 2, 1, 2), RoleRegistry::Global(), {{role::kAuth, cheap}});
  std::vector<testing::TestDevice*> devices;
  for (uint64_t u = 1; u <= 4; ++u) {
    devices.push_back(&c.AddDevice(u, 1));
    c.Connect(*devices.back());
  }
  c.Run();
  const std::vector<Address> cores = {MakeAddress(role::kGateway, 0), MakeAddress(role::kMessages, 0),
                                      MakeAddress(role::kMessages, 1), MakeAddress(role::kSync, 0),
                                      MakeAddress(role::kAuth, 0)};
  Input in{data, size};
  const uint8_t* head;
  while (in.Take(3, &head)) {
    const uint8_t op = head[0], target = head[1], len = head[2];
    const uint8_t* body;
    if (!in.Take(len, &body)) break;
    const std::string bytes(reinterpret_cast<const char*>(body), len);
    if (op % 3 == 0) {
      api::ClientFrame frame;
      if (frame.ParseFromString(bytes)) c.SendRaw(*devices[target % devices.size()], frame);
    } else if (op % 3 == 1) {
      const Address& to = cores[(op / 3) % cores.size()];
      if (!c.host(to).running()) continue;
      const auto types = c.host(to).handlers().types();
      if (types.empty()) continue;
      const google::protobuf::Message* prototype =
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(types[target % types.size()]);
      std::shared_ptr<google::protobuf::Message> msg(prototype->New());
      if (!msg->ParseFromString(bytes)) continue;
      const Address& from = cores[(op / 7) % cores.size()];
      const auto kind = (op & 0x80) ? Envelope::Kind::kCall : Envelope::Kind::kOneWay;
      c.Inject(Envelope{from, to, kind, kind == Envelope::Kind::kCall ? 1u + target : 0u, rpc::CALL_OK, msg});
    } else {
      c.Advance(target * kMillisecond);
    }
    c.Run();
  }
  c.Advance(20 * kSecond);  // every deadline and retry runs out
  return 0;
}
