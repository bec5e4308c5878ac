{
  "targets": [
    {
      "target_name": "sdnotify",
      "sources": ["sdnotify.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
