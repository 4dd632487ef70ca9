#include <mediaflow/dial/host_process.hpp>

#include <csignal>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <regex>
#include <thread>

extern char** environ;

namespace mediaflow::dial {
namespace {

constexpr size_t kMaxLogLines = 20000;

// The port of a `listening` log line ("port":"8080" or "port":8080), or 0.
int listening_port(const std::string& line) {
  if (line.find("\"event\":\"listening\"") == std::string::npos) return 0;
  static const std::regex re("\"port\":\"?([0-9]+)");
  std::smatch m;
  if (!std::regex_search(line, m, re)) return 0;
  return std::stoi(m[1].str());
}

}  // namespace

struct HostProcess::Impl {
  pid_t pid = -1;
  int exit_status = -1;
  int stderr_fd = -1;
  std::thread reader;
  bool echo = false;

  mutable std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::string> lines;
  int port = 0;
  bool eof = false;

  void read_stderr() {
    std::string pending;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(stderr_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (echo) (void)!::write(2, buf, static_cast<size_t>(n));
      pending.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        std::lock_guard lock(mutex);
        if (!port) port = listening_port(line);
        lines.push_back(std::move(line));
        if (lines.size() > kMaxLogLines) lines.pop_front();
        cv.notify_all();
      }
    }
    std::lock_guard lock(mutex);
    if (!pending.empty()) lines.push_back(pending);
    eof = true;
    cv.notify_all();
  }

  bool reap(bool block) {
    if (pid <= 0) return true;
    int status = 0;
    pid_t r = waitpid(pid, &status, block ? 0 : WNOHANG);
    if (r != pid) return false;
    exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid = -1;
    return true;
  }
};

HostProcess::HostProcess() : impl_(std::make_unique<Impl>()) {}

HostProcess::~HostProcess() {
  if (running()) stop();
  if (impl_->reader.joinable()) impl_->reader.join();
  if (impl_->stderr_fd >= 0) ::close(impl_->stderr_fd);
}

bool HostProcess::start(const HostProcessOptions& options, std::string* error) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env[std::string(*e, static_cast<size_t>(eq - *e))] = eq + 1;
  }
  env["PORT"] = "0";
  env["BIND"] = "127.0.0.1";
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> env_strings, argv_strings = {options.binary.string()};
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  for (auto& s : argv_strings) argv.push_back(s.data());
  envp.push_back(nullptr);
  argv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    if (error) *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    if (error) *error = std::string("fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    dup2(fds[1], 2);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) dup2(devnull, 0);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  ::close(fds[1]);
  impl_->pid = pid;
  impl_->stderr_fd = fds[0];
  impl_->echo = options.echo_stderr;
  impl_->reader = std::thread([impl = impl_.get()] { impl->read_stderr(); });

  std::unique_lock lock(impl_->mutex);
  bool ready = impl_->cv.wait_for(lock, std::chrono::duration<double>(options.ready_timeout_seconds),
                                  [&] { return impl_->port != 0 || impl_->eof; });
  if (impl_->port) return true;
  std::string log;
  for (const auto& l : impl_->lines) log += l + "\n";
  lock.unlock();
  if (error) {
    *error = std::string(ready ? "host exited before listening" : "host did not report listening in time") +
             "; its log:\n" + log;
  }
  stop(2);
  return false;
}

pid_t HostProcess::pid() const { return impl_->pid; }

int HostProcess::port() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->port;
}

std::string HostProcess::ws_url(const std::string& path) const {
  return "ws://127.0.0.1:" + std::to_string(port()) + path;
}

std::string HostProcess::http_url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + path;
}

bool HostProcess::running() const {
  return impl_->pid > 0 && !impl_->reap(false);
}

int HostProcess::stop(double timeout_seconds) {
  if (impl_->pid <= 0) return impl_->exit_status;
  if (!impl_->reap(false)) {
    ::kill(impl_->pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    while (!impl_->reap(false) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (impl_->pid > 0) {
      ::kill(impl_->pid, SIGKILL);
      impl_->reap(true);
    }
  }
  if (impl_->reader.joinable()) impl_->reader.join();
  return impl_->exit_status;
}

std::vector<std::string> HostProcess::log_lines() const {
  std::lock_guard lock(impl_->mutex);
  return {impl_->lines.begin(), impl_->lines.end()};
}

}  // namespace mediaflow::dial
