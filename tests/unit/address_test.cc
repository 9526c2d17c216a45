#include "core/address.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace msgbed {
namespace {

// The simulator charges an envelope's bytes from Address::ByteSizeLong;
// it must be what the wire's rpc.Address takes, at every length.
TEST(Address, ByteSizeIsTheWiresAtEveryLength) {
  for (size_t role_size : {0, 1, 8, 127, 128, 300, 16384}) {
    for (uint32_t index : {0u, 1u, 127u, 128u, 16383u, 16384u, 1u << 21, 1u << 28, UINT32_MAX}) {
      const Address a(std::string(role_size, 'r'), index);
      const rpc::Address wire = a;
      EXPECT_EQ(a.ByteSizeLong(), wire.ByteSizeLong()) << role_size << " " << index;
      EXPECT_EQ(a.ByteSizeLong(), wire.SerializeAsString().size()) << role_size << " " << index;
    }
  }
}

TEST(Address, ConvertsToTheWiresAndBack) {
  const Address a = MakeAddress(role::kMessages, 7);
  const rpc::Address wire = a;
  EXPECT_EQ(wire.role(), "messages");
  EXPECT_EQ(wire.index(), 7u);
  const Address back = wire;
  EXPECT_TRUE(SameAddress(a, back));
  EXPECT_FALSE(SameAddress(a, MakeAddress(role::kMessages, 8)));
  EXPECT_FALSE(SameAddress(a, MakeAddress(role::kSync, 7)));
  EXPECT_EQ(ToString(ParseAddress(ToString(a))), "messages/7");
}

}  // namespace
}  // namespace msgbed
