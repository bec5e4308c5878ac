// sd_notify(3) for Node: send one datagram to the AF_UNIX socket named by NOTIFY_SOCKET.
// Node has no unix-datagram sockets, and spawning systemd-notify races with systemd's PID attribution,
// so the daemon sends its READY=1 / WATCHDOG=1 / STOPPING=1 itself through this one small call.
#include <errno.h>
#include <stdio.h>
#include <node_api.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "GB_SDNOTIFY", msg);
  return NULL;
}

// notify(socketPath: string, message: string): void — abstract sockets start with '@'.
static napi_value Notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "notify(socketPath, message) takes two strings");
    return NULL;
  }
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  char message[4096];
  size_t path_len = 0, msg_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], message, sizeof message, &msg_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "notify(socketPath, message) takes two strings");
    return NULL;
  }
  if (path_len == 0 || path_len >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
    napi_throw_range_error(env, NULL, "NOTIFY_SOCKET path is empty or too long");
    return NULL;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path, path_len);
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len);

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  ssize_t sent = sendto(fd, message, msg_len, MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
  int err = errno;
  close(fd);
  if (sent < 0) return throw_errno(env, "sendto NOTIFY_SOCKET", err);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  napi_create_function(env, "notify", NAPI_AUTO_LENGTH, Notify, NULL, &fn);
  napi_set_named_property(env, exports, "notify", fn);
  return exports;
}
