// Known-answer tests of the secret-chat crypto wrapper (crypto/e2e.h),
// with the published vectors of each primitive, and its refusals.
#include <gtest/gtest.h>

#include "crypto/e2e.h"

namespace msgbed::e2e {
namespace {

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}
std::string Hex(std::string_view bytes) { return FingerprintHex(bytes); }

// RFC 7748, section 6.1.
TEST(E2eCrypto, X25519MatchesRfc7748) {
  const auto alice = DhKeyPair(Unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  const auto bob = DhKeyPair(Unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  ASSERT_TRUE(alice && bob);
  EXPECT_EQ(Hex(alice->public_key), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(Hex(bob->public_key), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const auto ab = Agree(alice->secret_key, bob->public_key), ba = Agree(bob->secret_key, alice->public_key);
  ASSERT_TRUE(ab && ba);
  EXPECT_EQ(Hex(*ab), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(*ab, *ba);
}

TEST(E2eCrypto, X25519RefusesALowOrderPeerKeyAndWrongSizes) {
  const auto me = DhKeyPair(std::string(32, '\x07'));
  ASSERT_TRUE(me);
  EXPECT_FALSE(Agree(me->secret_key, std::string(32, '\0')));  // the all-zero point: the secret would be 0
  EXPECT_FALSE(Agree(me->secret_key, std::string(31, '\x09')));
  EXPECT_FALSE(DhKeyPair(std::string(16, '\x01')));
}

// RFC 8032, section 7.1, TEST 1 (the empty message).
TEST(E2eCrypto, Ed25519MatchesRfc8032) {
  const auto id = IdentityKeyPair(Unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  ASSERT_TRUE(id);
  EXPECT_EQ(Hex(id->public_key), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const std::string sig = Sign(*id, "");
  EXPECT_EQ(Hex(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f059"
            "5bbe24655141438e7a100b");
  EXPECT_TRUE(Verify(id->public_key, "", sig));
  EXPECT_FALSE(Verify(id->public_key, "x", sig));
  std::string bent = sig;
  bent[5] ^= 1;
  EXPECT_FALSE(Verify(id->public_key, "", bent));
  EXPECT_FALSE(Verify(id->public_key, "", sig.substr(1)));
}

// draft-irtf-cfrg-xchacha-03, appendix A.3.1.
TEST(E2eCrypto, XChaCha20Poly1305MatchesTheDraftsVector) {
  const std::string key = Unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  const std::string nonce = Unhex("404142434445464748494a4b4c4d4e4f5051525354555657");
  const std::string ad = Unhex("50515253c0c1c2c3c4c5c6c7");
  const std::string plain =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be "
      "it.";
  const std::string sealed = Seal(key, nonce, ad, plain);
  EXPECT_EQ(
      Hex(sealed),
      "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c2"
      "16cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615"
      "c68b13b52e"
      "c0875924c1c7987947deafd8780acf49");
  EXPECT_EQ(Open(key, nonce, ad, sealed), plain);
}

TEST(E2eCrypto, OpenRefusesWhatWasNotSealedSoForThisKeyNonceAndAd) {
  const std::string key(32, 'k'), nonce(24, 'n');
  const std::string sealed = Seal(key, nonce, "chat 1", "hello");
  ASSERT_EQ(sealed.size(), 5 + kTagBytes);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bent = sealed;
    bent[i] ^= 0x20;
    EXPECT_FALSE(Open(key, nonce, "chat 1", bent)) << "byte " << i;
  }
  EXPECT_FALSE(Open(key, nonce, "chat 2", sealed));
  EXPECT_FALSE(Open(std::string(32, 'K'), nonce, "chat 1", sealed));
  EXPECT_FALSE(Open(key, std::string(24, 'N'), "chat 1", sealed));
  EXPECT_FALSE(Open(key, nonce, "chat 1", sealed.substr(0, 10)));
  EXPECT_TRUE(Seal(std::string(31, 'k'), nonce, "", "x").empty());
}

// BLAKE2b-256 of the empty input (RFC 7693's BLAKE2b with a 32-byte output).
TEST(E2eCrypto, HashIsBlake2bOfLengthPrefixedParts) {
  EXPECT_EQ(Hex(Hash("", {})), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  // Length prefixes: ("ab", "c") and ("a", "bc") differ.
  EXPECT_NE(Hash("", {"ab", "c"}), Hash("", {"a", "bc"}));
  EXPECT_NE(Hash("key", {"ab"}), Hash("", {"ab"}));
}

TEST(E2eCrypto, FingerprintReadsAsHexAndAsEightEmoji) {
  const std::string fp = Unhex("000102030405060708090a0b0c0d0e3f");
  EXPECT_EQ(FingerprintHex(fp), "000102030405060708090a0b0c0d0e3f");
  const auto emoji = FingerprintEmoji(fp);
  ASSERT_EQ(emoji.size(), 8u);
  EXPECT_EQ(emoji[0], "😎");  // 0x0001 % 64 = 1
  EXPECT_EQ(emoji[7], "⚓");  // 0x0e3f % 64 = 63
  std::string other = fp;
  other[15] = 0x3e;
  EXPECT_NE(FingerprintEmoji(other), emoji);
}

TEST(E2eCrypto, WipeZeroesAndEmpties) {
  std::string key(32, 'k');
  Wipe(key);
  EXPECT_TRUE(key.empty());
}

}  // namespace
}  // namespace msgbed::e2e
