// GuardInput: the one way subcommands turn a bad input or an unwritable
// results directory into a message and exit code 2.
#pragma once

#include <filesystem>
#include <iostream>
#include <string>

#include "config/yaml_reader.h"

namespace msgbed::cli {

// Runs body. An InputError (file, line, key) or a filesystem error under
// out_dir is printed as "msgbed <command>: ..."; returns whether body
// finished.
template <typename Body>
bool GuardInput(const char* command, const std::string& out_dir, Body body) {
  try {
    body();
    return true;
  } catch (const InputError& e) {
    std::cerr << "msgbed " << command << ": " << e.what() << "\n";
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "msgbed " << command << ": cannot write the results under " << out_dir << ": " << e.what() << "\n";
  }
  return false;
}

}  // namespace msgbed::cli
