/*
 * simrig: runs the gradebooth rig firmware (ATmega328P @ 16 MHz) in simavr, connects its UART0 to a
 * pseudo-terminal at a user-chosen path, paces simulated time to wall-clock time and prints the pins the
 * simulated camera needs (TLC5947 latches, BLANK, trigger, status LED) as line events on stdout.
 * The contract (arguments, stdin commands, output lines) is in native/simrig/README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <avr_adc.h>
#include <avr_ioport.h>
#include <avr_uart.h>
#include <sim_avr.h>
#include <sim_elf.h>
#include <sim_irq.h>

#define CPU_HZ 16000000u
/* Bytes are fed to the UART no faster than the line rate: 250000 baud 8N1 is 40 µs per byte; simavr
 * delivers one byte per 44 µs (it counts a parity bit), so feed at that pace and never overfill its
 * 64-byte FIFO. */
#define FEED_CYCLES (45u * 16u)
#define RUN_CHUNK_CYCLES 16000u /* 1 ms of simulated time between polls */
#define INQ_SIZE 8192

static FILE *g_ev;            /* event output (the original stdout) */
static avr_t *g_avr;
static const char *g_ptyPath;
static int g_master = -1, g_slave = -1;
static uint8_t g_inq[INQ_SIZE];
static size_t g_inHead, g_inLen;
static int g_feeding, g_xoff;
static uint8_t g_bits[288]; /* ring of the bits clocked into the TLC5947 (SIN sampled at SCLK rising) */
static uint64_t g_bitCount, g_bitsAtLatch;
static double g_firstBitUs, g_lastBitUs; /* debug: when the bits of the next frame were clocked */
static int g_pin[6]; /* last seen: trigger PB1, xlat PB2, status PD6, blank PD7, sin PB3, sclk PB5 */
static uint64_t g_cycleBase; /* cycles before the last reset, if the core restarted its counter */
static uint64_t g_lastCycle;

static uint64_t sim_cycles(void) {
  if (g_avr->cycle < g_lastCycle) g_cycleBase += g_lastCycle;
  g_lastCycle = g_avr->cycle;
  return g_cycleBase + g_avr->cycle;
}

/* Prints one event line with the simulated time (µs, 3 decimals, from cycles / 16) and flushes it. */
static void emit(const char *tag, const char *fmt, ...) {
  uint64_t ns = sim_cycles() * 1000u / 16u;
  fprintf(g_ev, "%s %llu.%03llu", tag, (unsigned long long)(ns / 1000u), (unsigned long long)(ns % 1000u));
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    fputc(' ', g_ev);
    vfprintf(g_ev, fmt, ap);
    va_end(ap);
  }
  fputc('\n', g_ev);
  fflush(g_ev);
}

static void err_line(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("ERR ", g_ev);
  vfprintf(g_ev, fmt, ap);
  va_end(ap);
  fputc('\n', g_ev);
  fflush(g_ev);
}

/* ---- UART <-> pty ---------------------------------------------------------------------------- */

static avr_cycle_count_t feed_uart(avr_t *avr, avr_cycle_count_t when, void *param) {
  (void)param;
  if (g_inLen == 0) {
    g_feeding = 0;
    return 0;
  }
  if (!g_xoff) {
    uint8_t b = g_inq[g_inHead];
    g_inHead = (g_inHead + 1) % INQ_SIZE;
    g_inLen--;
    if (getenv("SIMRIG_DEBUG")) fprintf(stderr, "uart in %02x at %llu\n", b, (unsigned long long)avr->cycle);
    avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT), b);
  }
  return when + FEED_CYCLES;
}

static void start_feeding(void) {
  if (g_feeding || g_inLen == 0) return;
  g_feeding = 1;
  avr_cycle_timer_register(g_avr, FEED_CYCLES, feed_uart, NULL);
}

static void on_uart_out(struct avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  (void)param;
  if (g_master < 0) return; /* unplugged: the bytes go nowhere, as on a real unplugged cable */
  uint8_t b = (uint8_t)value;
  if (getenv("SIMRIG_DEBUG")) fprintf(stderr, "uart out %02x\n", b);
  /* A host that does not read fills the pty buffer; drop rather than stall the simulation. */
  if (write(g_master, &b, 1) < 0 && errno != EAGAIN) err_line("pty write: %s", strerror(errno));
}

static void on_uart_xoff(struct avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  (void)param;
  g_xoff = value != 0;
}

static void on_uart_xon(struct avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  (void)param;
  if (value) g_xoff = 0;
}

static int plug(void) {
  char name[256];
  struct termios tio;
  if (openpty(&g_master, &g_slave, name, NULL, NULL) < 0) {
    err_line("openpty: %s", strerror(errno));
    return -1;
  }
  /* Raw both ways: the link is binary. Keeping our slave fd open means a host closing the port does not
   * hang up the master. */
  tcgetattr(g_slave, &tio);
  cfmakeraw(&tio);
  cfsetispeed(&tio, B230400);
  cfsetospeed(&tio, B230400);
  tcsetattr(g_slave, TCSANOW, &tio);
  fcntl(g_master, F_SETFL, fcntl(g_master, F_GETFL) | O_NONBLOCK);
  fcntl(g_master, F_SETFD, FD_CLOEXEC);
  fcntl(g_slave, F_SETFD, FD_CLOEXEC);
  struct stat st;
  if (lstat(g_ptyPath, &st) == 0) {
    if (!S_ISLNK(st.st_mode)) {
      err_line("%s exists and is not a symlink; not replacing it", g_ptyPath);
      return -1;
    }
    unlink(g_ptyPath);
  }
  if (symlink(name, g_ptyPath) < 0) {
    err_line("symlink %s -> %s: %s", g_ptyPath, name, strerror(errno));
    return -1;
  }
  fprintf(g_ev, "READY %s\n", g_ptyPath);
  fflush(g_ev);
  return 0;
}

static void unplug(void) {
  if (g_master >= 0) close(g_master);
  if (g_slave >= 0) close(g_slave);
  g_master = g_slave = -1;
  g_inLen = 0;
  unlink(g_ptyPath);
}

/* ---- pins ------------------------------------------------------------------------------------ */

static void print_latch(void) {
  /* The last 288 bits clocked in: channel 23 first, MSB first, so channel 0 is the last 12 bits. */
  char line[24 * 6 + 1];
  size_t off = 0;
  for (int ch = 0; ch < 24; ch++) {
    unsigned v = 0;
    for (int k = 0; k < 12; k++) {
      int64_t idx = (int64_t)g_bitCount - 288 + (23 - ch) * 12 + k;
      v = (v << 1) | (idx < 0 ? 0u : g_bits[idx % 288]);
    }
    off += (size_t)snprintf(line + off, sizeof line - off, ch ? " %u" : "%u", v);
  }
  emit("L", "%s", line);
}

enum { PIN_TRIGGER, PIN_XLAT, PIN_STATUS, PIN_BLANK, PIN_SIN, PIN_SCLK };

static void on_pin(struct avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  int which = (int)(intptr_t)param;
  int v = value ? 1 : 0;
  if (g_pin[which] == v) return;
  g_pin[which] = v;
  switch (which) {
    case PIN_TRIGGER: emit("T", "%d", v); break;
    case PIN_XLAT:
      if (v) {
        if (getenv("SIMRIG_DEBUG"))
          fprintf(stderr, "latch: %llu bits since the last one, first at %.3f, last at %.3f us\n",
                  (unsigned long long)(g_bitCount - g_bitsAtLatch), g_firstBitUs, g_lastBitUs);
        g_bitsAtLatch = g_bitCount;
        print_latch();
      }
      break;
    case PIN_STATUS: emit("S", "%d", v); break;
    case PIN_BLANK: emit("B", "%d", v); break;
    case PIN_SIN: break;
    case PIN_SCLK:
      if (v) {
        g_lastBitUs = (double)sim_cycles() / 16.0;
        if (g_bitCount == g_bitsAtLatch) g_firstBitUs = g_lastBitUs;
        g_bits[g_bitCount++ % 288] = (uint8_t)g_pin[PIN_SIN];
      }
      break;
  }
}

/* ---- thermistor ------------------------------------------------------------------------------ */

static void set_adc_mv(uint32_t mv) {
  avr_raise_irq(avr_io_getirq(g_avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0), mv);
}

/* NTC 10 kΩ B3950 to GND, 10 kΩ pull-up to AVCC = 5 V (PROTOCOL.md pins table). */
static uint32_t ntc_mv(double celsius) {
  double r = 10000.0 * exp(3950.0 * (1.0 / (celsius + 273.15) - 1.0 / 298.15));
  return (uint32_t)lround(5000.0 * r / (r + 10000.0));
}

/* ---- commands -------------------------------------------------------------------------------- */

static void (*g_coreReset)(avr_t *avr);

/* Every MCU reset (our `reset` command or the firmware's watchdog) passes here. */
static void on_reset(avr_t *avr) {
  if (g_coreReset) g_coreReset(avr);
  g_feeding = 0; /* avr_reset cancels cycle timers; the main loop restarts the feeder */
  g_xoff = 0;
  emit("RESET", NULL);
  /* Reset makes every pin an input and simavr raises no pin IRQ for it: report the board's levels, the
   * trigger and status lines pulled low, BLANK pulled high (its pull-up keeps the LEDs off in reset). */
  static const struct { int pin; int level; const char *tag; } board[] = {
      {PIN_TRIGGER, 0, "T"}, {PIN_STATUS, 0, "S"}, {PIN_BLANK, 1, "B"}};
  for (size_t i = 0; i < sizeof board / sizeof board[0]; i++) {
    if (g_pin[board[i].pin] != board[i].level) {
      g_pin[board[i].pin] = board[i].level;
      emit(board[i].tag, "%d", board[i].level);
    }
  }
  g_pin[PIN_XLAT] = 0;
  g_pin[PIN_SCLK] = 0;
  g_pin[PIN_SIN] = 0;
}

/* Returns 1 to quit. */
static int command(char *line) {
  char *arg = strchr(line, ' ');
  if (arg) *arg++ = 0;
  if (!strcmp(line, "quit")) return 1;
  if (!strcmp(line, "temp") && arg) {
    char *end;
    double c = strtod(arg, &end);
    if (end == arg || *end || c < -55 || c > 200) err_line("temp wants degrees Celsius -55..200, got %s", arg);
    else set_adc_mv(ntc_mv(c));
  } else if (!strcmp(line, "adc") && arg) {
    long raw = atol(arg);
    if (raw < 0 || raw > 1023) err_line("adc wants 0..1023, got %s", arg);
    else set_adc_mv((uint32_t)((raw * 5000 + 512) / 1024));
  } else if (!strcmp(line, "reset")) {
    avr_reset(g_avr);
  } else if (!strcmp(line, "unplug")) {
    unplug();
  } else if (!strcmp(line, "replug")) {
    if (g_master < 0 && plug() < 0) return 2;
  } else if (line[0]) {
    err_line("unknown command: %s", line);
  }
  return 0;
}

static void usage(void) {
  fprintf(stderr, "usage: simrig --elf FIRMWARE.elf --pty PATH [--speed 1.0]\n");
}

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void no_sleep(avr_t *avr, avr_cycle_count_t howLong) {
  /* simavr would usleep() while the MCU sleeps; the main loop paces time itself. */
  (void)avr;
  (void)howLong;
}

int main(int argc, char **argv) {
  const char *elf = NULL;
  double speed = 1.0;
  /* Events go to the original stdout; simavr's own chatter (it printf()s) goes to stderr. */
  int evfd = dup(1);
  dup2(2, 1);
  g_ev = fdopen(evfd, "w");
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--elf") && i + 1 < argc) elf = argv[++i];
    else if (!strcmp(argv[i], "--pty") && i + 1 < argc) g_ptyPath = argv[++i];
    else if (!strcmp(argv[i], "--speed") && i + 1 < argc) speed = atof(argv[++i]);
    else {
      usage();
      err_line("bad argument: %s", argv[i]);
      return 2;
    }
  }
  if (!elf || !g_ptyPath || !(speed > 0)) {
    usage();
    err_line("--elf and --pty are required and --speed must be > 0");
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 0; /* the parent already died */
  signal(SIGPIPE, SIG_IGN);

  elf_firmware_t fw;
  memset(&fw, 0, sizeof fw);
  if (access(elf, R_OK) != 0 || elf_read_firmware(elf, &fw) != 0 || fw.flashsize == 0) {
    err_line("cannot read firmware ELF %s", elf);
    return 3;
  }
  if (!fw.mmcu[0]) strcpy(fw.mmcu, "atmega328p");
  if (!fw.frequency) fw.frequency = CPU_HZ;
  g_avr = avr_make_mcu_by_name(fw.mmcu);
  if (!g_avr) {
    err_line("simavr does not know MCU %s", fw.mmcu);
    return 3;
  }
  avr_init(g_avr);
  avr_load_firmware(g_avr, &fw);
  g_avr->frequency = fw.frequency;
  g_avr->vcc = g_avr->avcc = g_avr->aref = 5000;
  g_avr->sleep = no_sleep;
  g_coreReset = g_avr->reset;
  g_avr->reset = on_reset;
  g_avr->log = 0;

  uint32_t flags = 0; /* no stdio echo of UART bytes, no usleep on RXC polling */
  avr_ioctl(g_avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
  avr_irq_register_notify(avr_io_getirq(g_avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_uart_out, NULL);
  avr_irq_register_notify(avr_io_getirq(g_avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF), on_uart_xoff, NULL);
  avr_irq_register_notify(avr_io_getirq(g_avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON), on_uart_xon, NULL);
  /* The firmware bit-bangs the TLC5947 (simavr 1.6's SPI model is 100 µs per byte): decode the pins. */
  avr_irq_register_notify(avr_io_getirq(g_avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 3), on_pin, (void *)PIN_SIN);
  avr_irq_register_notify(avr_io_getirq(g_avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 5), on_pin, (void *)PIN_SCLK);
  avr_irq_register_notify(avr_io_getirq(g_avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 1), on_pin, (void *)PIN_TRIGGER);
  avr_irq_register_notify(avr_io_getirq(g_avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 2), on_pin, (void *)PIN_XLAT);
  avr_irq_register_notify(avr_io_getirq(g_avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 6), on_pin, (void *)PIN_STATUS);
  avr_irq_register_notify(avr_io_getirq(g_avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 7), on_pin, (void *)PIN_BLANK);
  set_adc_mv(ntc_mv(25.0));

  /* READY means the firmware listens: run it until it enables its receiver (UCSR0B.RXEN0), at most
   * 200 ms of simulated time, so a host that writes at once is not talking to an MCU still booting. */
  while (!(g_avr->data[0xC1] & (1 << 4)) && sim_cycles() < CPU_HZ / 5) {
    int state = avr_run(g_avr);
    if (state == cpu_Done || state == cpu_Crashed) {
      err_line("MCU %s during boot (pc 0x%x)", state == cpu_Done ? "stopped" : "crashed", g_avr->pc);
      return 5;
    }
  }
  if (plug() < 0) return 4;
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);

  char cmd[256];
  size_t cmdLen = 0;
  long tracePc = getenv("SIMRIG_TRACE_PC") ? strtol(getenv("SIMRIG_TRACE_PC"), NULL, 0) : -1;
  int profile = getenv("SIMRIG_PROFILE") != NULL;
  unsigned long profileTick = 0;
  double t0 = mono_s();
  uint64_t cyclesAtT0 = sim_cycles();
  for (;;) {
    uint64_t target = sim_cycles() + RUN_CHUNK_CYCLES;
    while (sim_cycles() < target) {
      int state = avr_run(g_avr);
      if (profile && ++profileTick % 97 == 0) fprintf(stderr, "pc %x %.0f\n", g_avr->pc, (double)sim_cycles() / 16.0);
      if (tracePc >= 0 && (long)g_avr->pc == tracePc)
        fprintf(stderr, "trace pc 0x%lx at %.3f us ocr1a %u\n", tracePc, (double)sim_cycles() / 16.0, g_avr->data[0x88] | (g_avr->data[0x89] << 8));
      if (state == cpu_Done || state == cpu_Crashed) {
        err_line("MCU %s at %llu cycles (pc 0x%x)", state == cpu_Done ? "stopped" : "crashed",
                 (unsigned long long)sim_cycles(), g_avr->pc);
        unplug();
        return 5;
      }
    }
    start_feeding();
    /* Simulated time must not run ahead of wall-clock time × speed: wait (polling our inputs) if it does. */
    double simS = (double)(sim_cycles() - cyclesAtT0) / fw.frequency;
    double aheadS = simS - (mono_s() - t0) * speed;
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = g_master, .events = POLLIN}};
    struct timespec wait = {0, 0};
    if (aheadS > 0) {
      wait.tv_sec = (time_t)aheadS;
      wait.tv_nsec = (long)((aheadS - (double)wait.tv_sec) * 1e9);
    } else if (aheadS < -0.5) {
      /* Far behind (host stalled or slow machine): do not try to catch up in a burst. */
      t0 = mono_s();
      cyclesAtT0 = sim_cycles();
    }
    int n = ppoll(fds, g_master >= 0 ? 2 : 1, &wait, NULL);
    if (n < 0 && errno != EINTR) {
      err_line("poll: %s", strerror(errno));
      return 6;
    }
    if (n <= 0) continue;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[512];
      ssize_t r = read(0, buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) break; /* parent gone: EOF */
      for (ssize_t i = 0; i < r; i++) {
        if (buf[i] == '\n' || buf[i] == '\r') {
          cmd[cmdLen] = 0;
          cmdLen = 0;
          int q = command(cmd);
          if (q == 1) goto out;
          if (q) return 4;
        } else if (cmdLen < sizeof cmd - 1) {
          cmd[cmdLen++] = buf[i];
        }
      }
    }
    if (g_master >= 0 && (fds[1].revents & POLLIN)) {
      uint8_t buf[1024];
      ssize_t r = read(g_master, buf, sizeof buf);
      for (ssize_t i = 0; i < r && g_inLen < INQ_SIZE; i++) g_inq[(g_inHead + g_inLen++) % INQ_SIZE] = buf[i];
      start_feeding();
    }
  }
out:
  unplug();
  return 0;
}
