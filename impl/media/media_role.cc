#include "media/media_role.h"

#include <cmath>

#include "media/media_service.h"

namespace msgbed {

RoleSpec MediaRole() {
  using K = SettingSpec::Kind;
  const MediaLimits d;
  RoleSpec spec;
  spec.name = role::kMedia;
  spec.summary =
      "media: files uploaded in parts, resumable, stored once by SHA-256 with reference counts, downloaded by "
      "ranges with expiring file references";
  // Per request; a part's or a range's bytes cost the same as a small
  // request's here (the disk and the links carry their size).
  spec.serves = {{media::GetDocumentByHash::descriptor(), 20e-6}, {media::UploadPart::descriptor(), 200e-6},
                 {media::GetUploadState::descriptor(), 20e-6},    {media::FinishUpload::descriptor(), 100e-6},
                 {media::GetDocument::descriptor(), 20e-6},       {media::GetFile::descriptor(), 100e-6},
                 {media::DeleteDocument::descriptor(), 30e-6}};
  spec.other_costs = {{"reply", 10e-6}};
  spec.uses_blobs = true;
  spec.settings = {
      {"max_file_bytes", K::kBytes, double(d.max_file_bytes), "the largest file accepted", double(2ull << 30), "2GiB"},
      {"file_reference_ttl", K::kDuration, double(d.file_reference_ttl) / kSecond,
       "a file reference works this long (then GetDocument gives a fresh one)"},
      {"grace_period", K::kDuration, double(d.grace_period) / kSecond,
       "a file no document holds is kept this long (a new reference keeps it)"},
      {"upload_expiry", K::kDuration, double(d.upload_expiry) / kSecond,
       "an upload that gets no part this long is dropped"},
      {"sweep_interval", K::kDuration, double(d.sweep_interval) / kSecond,
       "how often expired files and uploads are looked for"}};
  spec.make = [](Env* env, const ClusterShape&, const RoleSettings& settings) {
    const RoleSpec& self = RoleRegistry::Global().Get(role::kMedia);
    auto get = [&](const char* key) { return SettingOr(self, settings, key); };
    auto micros = [&](const char* key) { return static_cast<Micros>(std::llround(get(key) * kSecond)); };
    MediaLimits limits;
    limits.max_file_bytes = static_cast<uint64_t>(get("max_file_bytes"));
    limits.file_reference_ttl = micros("file_reference_ttl");
    limits.grace_period = micros("grace_period");
    limits.upload_expiry = micros("upload_expiry");
    limits.sweep_interval = micros("sweep_interval");
    return std::make_unique<MediaService>(env, limits);
  };
  return spec;
}

}  // namespace msgbed
