// A fresh directory under /tmp for a test's database files, removed with everything in it.
#ifndef REPLICORE_TESTS_SERVER_TEMP_DIR_H_
#define REPLICORE_TESTS_SERVER_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace replicore::testing {

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/rc_server_test_XXXXXX";
    char* made = mkdtemp(pattern);
    if (made == nullptr) abort();
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace replicore::testing

#endif  // REPLICORE_TESTS_SERVER_TEMP_DIR_H_
