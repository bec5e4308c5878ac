/**
 * The settings file's JSON schema (draft 2020-12 subset that Ajv validates) and its TypeScript type.
 * Keys are snake_case, as in the file. Every key has a default, so an empty file (or none) is valid and
 * runs the simulated booth. `additionalProperties: false` everywhere: a misspelt key is an error, not
 * silently ignored.
 */
export interface Settings {
  data_dir: string;
  log_level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  http: {
    host: string;
    port: number;
    body_limit_bytes: number;
    headers_timeout_ms: number;
    request_timeout_ms: number;
  };
  booth: {
    id: string;
    card: { width_mm: number; height_mm: number; corner_radius_mm: number; thickness_mm: number };
  };
  hardware: {
    rig: { kind: 'simulated' | 'serial' | 'none'; port: string; host_timeout_ms: number };
    camera: { kind: 'simulated' | 'replay' | 'none'; replay_dir: string; width_px: number; height_px: number };
    scanner: {
      kind: 'none' | 'hid' | 'serial' | 'simulated';
      protocol: 'auto' | 'keyboard' | 'pos';
      vendor_id: number;
      product_id: number;
      hid_path: string;
      port: string;
      baud_rate: number;
      layout: 'us' | 'uk' | 'de' | 'fr';
      pattern: string;
      debounce_ms: number;
      idle_reset_ms: number;
      reconnect_ms: number;
    };
  };
  ui: { idle_lock_s: number; session_max_h: number };
  storage: { min_free_mb: number };
  shutdown: { timeout_ms: number };
}

const cardSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    width_mm: { type: 'number', exclusiveMinimum: 0, maximum: 500, default: 63.5, description: 'card width (short side), mm' },
    height_mm: { type: 'number', exclusiveMinimum: 0, maximum: 500, default: 88.9, description: 'card height (long side), mm' },
    corner_radius_mm: { type: 'number', minimum: 0, maximum: 20, default: 3.2, description: 'corner radius, mm' },
    thickness_mm: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.32, description: 'card thickness, mm' },
  },
} as const;

export const settingsSchema = {
  $id: 'gradebooth-settings',
  type: 'object',
  additionalProperties: false,
  properties: {
    data_dir: { type: 'string', minLength: 1, default: './var/data', description: 'SQLite database and file store; env GRADEBOOTH_DATA_DIR overrides' },
    log_level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', description: 'pino log level' },
    http: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', minLength: 1, default: '127.0.0.1', description: 'address the API and UI listen on' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080, description: 'TCP port (0 = any free port); env GRADEBOOTH_PORT overrides' },
        body_limit_bytes: { type: 'integer', minimum: 1024, maximum: 104857600, default: 1048576, description: 'largest accepted request body' },
        headers_timeout_ms: { type: 'integer', minimum: 100, maximum: 600000, default: 10000, description: 'a client that has not sent its request headers within this time gets 408 and is disconnected, ms' },
        request_timeout_ms: { type: 'integer', minimum: 100, maximum: 3600000, default: 30000, description: 'a client that has not sent its whole request (body included) within this time gets 408 and is disconnected, ms' },
      },
    },
    booth: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', default: 'booth-sim', description: 'booth identifier used in reports and fleet topics' },
        card: cardSchema,
      },
    },
    hardware: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        rig: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            kind: { enum: ['simulated', 'serial', 'none'], default: 'simulated', description: 'LED rig: the firmware in the AVR simulator, a real serial port, or none' },
            port: { type: 'string', default: '', description: 'serial device for kind "serial", e.g. /dev/serial/by-id/usb-…' },
            host_timeout_ms: { type: 'integer', minimum: 100, maximum: 60000, default: 1500, description: 'LEDs go dark when the host is silent this long' },
          },
        },
        camera: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            kind: { enum: ['simulated', 'replay', 'none'], default: 'simulated', description: 'camera: simulated, replay of a folder, or none' },
            replay_dir: { type: 'string', default: '', description: 'folder of frames for kind "replay"' },
            width_px: { type: 'integer', minimum: 64, maximum: 8192, default: 750, description: 'simulated camera: frame width, px (the same field of view at any size; calibrate and scan at one size)' },
            height_px: { type: 'integer', minimum: 64, maximum: 8192, default: 1024, description: 'simulated camera: frame height, px' },
          },
        },
        scanner: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            kind: { enum: ['none', 'hid', 'serial', 'simulated'], default: 'simulated', description: 'barcode scanner: USB HID (keyboard wedge or HID-POS), serial (CDC-ACM), the simulated scanner, or none' },
            protocol: { enum: ['auto', 'keyboard', 'pos'], default: 'auto', description: 'HID scanners: boot keyboard reports, HID-POS (usage page 0x8C), or auto (from the interface)' },
            vendor_id: { type: 'integer', minimum: 0, maximum: 65535, default: 0, description: 'HID scanners: USB vendor id (0 = any; with protocol "pos", any POS scanner is found)' },
            product_id: { type: 'integer', minimum: 0, maximum: 65535, default: 0, description: 'HID scanners: USB product id (0 = any)' },
            hid_path: { type: 'string', default: '', description: 'HID scanners: a hidraw node (/dev/hidraw3) instead of vendor/product ids' },
            port: { type: 'string', default: '', description: 'serial scanners: the tty, e.g. /dev/serial/by-id/usb-…' },
            baud_rate: { type: 'integer', minimum: 300, maximum: 921600, default: 9600, description: 'serial scanners: baud rate' },
            layout: { enum: ['us', 'uk', 'de', 'fr'], default: 'us', description: 'keyboard-wedge scanners: the keyboard layout the scanner is set to' },
            pattern: { type: 'string', default: '', description: 'a regular expression every code must match in full ("" = any printable ASCII code up to 128 characters)' },
            debounce_ms: { type: 'integer', minimum: 0, maximum: 60000, default: 1500, description: 'the same code read again within this time is one scan (double reads), ms' },
            idle_reset_ms: { type: 'integer', minimum: 10, maximum: 60000, default: 500, description: 'a partial code older than this is dropped (stray key presses, line noise), ms' },
            reconnect_ms: { type: 'integer', minimum: 100, maximum: 60000, default: 1000, description: 'retry opening an absent or unplugged scanner this often, ms' },
          },
        },
      },
    },
    ui: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        idle_lock_s: { type: 'integer', minimum: 30, maximum: 86400, default: 300, description: 'the touchscreen signs the operator out after this long without use, s' },
        session_max_h: { type: 'integer', minimum: 1, maximum: 24, default: 12, description: 'a touchscreen session ends after this long whatever its use, h' },
      },
    },
    storage: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        min_free_mb: { type: 'integer', minimum: 0, default: 512, description: 'below this much free disk /api/status reports the booth degraded' },
      },
    },
    shutdown: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        timeout_ms: { type: 'integer', minimum: 100, maximum: 9000, default: 8000, description: 'longest a graceful stop may take before forcing exit' },
      },
    },
  },
} as const;
