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
    sim_flip_wait_s: number;
  };
  hardware: {
    rig: { kind: 'simulated' | 'serial' | 'none'; port: string; host_timeout_ms: number };
    camera: { kind: 'simulated' | 'replay' | 'genicam' | 'none'; replay_dir: string; width_px: number; height_px: number; genicam: GenicamSettings };
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
  /** Absent: the booth runs fully offline (results still queue in the outbox for a fleet joined later). */
  fleet?: FleetSettings;
}

/** `fleet.datasets`: uploading datasets for retraining (docs/fleet.md "Datasets"). */
export interface DatasetUploadSettings {
  /** off: never; on-request: when the fleet asks (`dataset-pull`); every-scan: each finished scan too. */
  upload: 'off' | 'on-request' | 'every-scan';
  chunk_bytes: number;
  /** Distinct chunk bytes in the outbox at once: the rest wait as references to stored files, not copies. */
  window_bytes: number;
  /** Offer a dataset again when the fleet has neither answered nor confirmed it for this long, s. */
  reoffer_s: number;
}

/** Fleet sync over MQTT v5 (docs/fleet.md). File paths are relative to the settings file. */
export interface FleetSettings {
  url: string;
  booth_id: string;
  topic_prefix: string;
  ca_file: string;
  cert_file: string;
  key_file: string;
  username: string;
  password_file: string;
  keepalive_s: number;
  connect_timeout_ms: number;
  reconnect_ms: number;
  backoff_max_ms: number;
  bandwidth_bytes_per_s: number;
  in_flight_max: number;
  telemetry_interval_s: number;
  telemetry_expiry_s: number;
  /** Datasets for retraining (docs/fleet.md "Datasets"). */
  datasets: DatasetUploadSettings;
  /** PEM ed25519 public keys whose signatures on model releases this booth trusts (none: every release is refused). */
  model_keys: string[];
  model_download_bytes_per_s: number;
}

/** `hardware.camera.genicam`: the GenICam camera (GigE Vision / USB3 Vision through Aravis) of a real booth. */
export interface GenicamSettings {
  id: string;
  intrinsics_file: string;
  pixel_format: 'Mono8' | 'Mono12' | 'Mono16';
  wire_pixel_format: string;
  exposure_us: number;
  gain_db: number;
  roi: { x: number; y: number; width: number; height: number };
  packet_size_bytes: number;
  packet_delay_ns: number;
  trigger: 'line' | 'software';
  trigger_line: string;
  frame_timeout_ms: number;
  reconnect_ms: number;
}

/** Smallest GigE Vision stream packet that carries a useful payload (the IPv4 minimum datagram), bytes. */
export const MIN_GEV_PACKET_BYTES = 576;

const genicamSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    id: { type: 'string', maxLength: 256, default: '', description: 'genicam: the camera as `gradebooth camera list` shows it (device id, serial, user id or IP address); "" = the first camera found' },
    intrinsics_file: { type: 'string', default: '', description: 'genicam: JSON camera file with the lens/sensor pinhole model at the delivered frame size (intrinsicsPx {fx, fy, cx, cy}); required for kind "genicam"; relative to the settings file' },
    pixel_format: { enum: ['Mono8', 'Mono12', 'Mono16'], default: 'Mono16', description: 'genicam: samples the booth captures (Mono16 = the sensor codes scaled to 16 bits)' },
    wire_pixel_format: { type: 'string', pattern: '^(|[A-Za-z][A-Za-z0-9]{1,31})$', default: '', description: 'genicam: force this GenICam PixelFormat on the wire (e.g. Mono12Packed); "" = the best the camera offers for pixel_format' },
    exposure_us: { type: 'integer', minimum: 1, maximum: 4000000, default: 10000, description: 'genicam: exposure after opening, µs, until a capture sets its own (calibration measures it, scans use the calibrated one)' },
    gain_db: { type: 'number', minimum: 0, maximum: 48, default: 0, description: 'genicam: analog gain, dB (0 = unity); captures keep it' },
    roi: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        x: { type: 'integer', minimum: 0, maximum: 65535, default: 0, description: 'genicam: sensor region, left column, px' },
        y: { type: 'integer', minimum: 0, maximum: 65535, default: 0, description: 'genicam: sensor region, top row, px' },
        width: { type: 'integer', minimum: 0, maximum: 65535, default: 0, description: 'genicam: sensor region width, px (0 = the whole sensor: region unchanged)' },
        height: { type: 'integer', minimum: 0, maximum: 65535, default: 0, description: 'genicam: sensor region height, px (0 = the whole sensor)' },
      },
    },
    packet_size_bytes: { type: 'integer', minimum: 0, maximum: 16384, default: 0, description: `genicam, GigE Vision: stream packet size, bytes (0 = negotiate the largest that passes; else ${MIN_GEV_PACKET_BYTES}..16384, jumbo frames above 1500)` },
    packet_delay_ns: { type: 'integer', minimum: 0, maximum: 100000000, default: 0, description: 'genicam, GigE Vision: inter-packet delay, ns (share one link between cameras)' },
    trigger: { enum: ['line', 'software'], default: 'line', description: 'genicam: "line" = the rig\'s trigger output on trigger_line starts each exposure (rising edge); "software" = the host holds each step\'s LEDs on and sends a software trigger (a camera without the trigger wire, e.g. Aravis\' fake camera; slower, timed by the host)' },
    trigger_line: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,31}$', default: 'Line0', description: 'genicam: the camera input wired to the rig\'s trigger output (GenICam TriggerSource)' },
    frame_timeout_ms: { type: 'integer', minimum: 100, maximum: 600000, default: 15000, description: 'genicam: longest a capture waits for any one frame, ms' },
    reconnect_ms: { type: 'integer', minimum: 100, maximum: 60000, default: 1000, description: 'genicam: after the camera drops off the network, try to open it again this often, ms' },
  },
} as const;

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
        sim_flip_wait_s: { type: 'integer', minimum: 0, maximum: 3600, default: 20, description: 'simulated booth: how long a grading job started by a barcode waits for the operator to confirm the flip before the simulator turns the card itself, s (0 = until confirmed)' },
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
            kind: { enum: ['simulated', 'replay', 'genicam', 'none'], default: 'simulated', description: 'camera: simulated, replay of a folder, a GenICam camera (with a serial rig: the hardware booth), or none' },
            replay_dir: { type: 'string', default: '', description: 'folder of frames for kind "replay"' },
            width_px: { type: 'integer', minimum: 64, maximum: 8192, default: 750, description: 'simulated camera: frame width, px (the same field of view at any size; calibrate and scan at one size)' },
            height_px: { type: 'integer', minimum: 64, maximum: 8192, default: 1024, description: 'simulated camera: frame height, px' },
            genicam: genicamSchema,
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
    fleet: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      description: 'fleet sync over MQTT v5; absent = the booth runs fully offline',
      properties: {
        url: { type: 'string', pattern: '^mqtts?://[^/\\s]+(:[0-9]{1,5})?/?$', description: 'broker URL, mqtt://host:1883 or mqtts://host:8883 (TLS)' },
        booth_id: { type: 'string', pattern: '^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})?$', default: '', description: 'this booth in fleet topics ("" = booth.id); also the MQTT client id' },
        topic_prefix: { type: 'string', pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$', default: 'gradebooth/v1', description: 'topics are <topic_prefix>/<booth_id>/…' },
        ca_file: { type: 'string', default: '', description: 'PEM CA bundle that signed the broker certificate (mqtts; "" = the system CAs)' },
        cert_file: { type: 'string', default: '', description: 'PEM client certificate for TLS client authentication (with key_file)' },
        key_file: { type: 'string', default: '', description: 'PEM private key of cert_file' },
        username: { type: 'string', default: '', description: 'MQTT username ("" = none)' },
        password_file: { type: 'string', default: '', description: 'file holding the MQTT password (first line), kept out of the settings file' },
        keepalive_s: { type: 'integer', minimum: 5, maximum: 3600, default: 30, description: 'MQTT keepalive; the broker publishes the offline last will after 1.5× this without traffic, s' },
        connect_timeout_ms: { type: 'integer', minimum: 500, maximum: 120000, default: 10000, description: 'give up one connection attempt after this long, ms' },
        reconnect_ms: { type: 'integer', minimum: 100, maximum: 600000, default: 2000, description: 'wait between connection attempts, ms' },
        backoff_max_ms: { type: 'integer', minimum: 100, maximum: 3600000, default: 60000, description: 'longest wait before resending an outbox message whose send failed (doubling from reconnect_ms), ms' },
        bandwidth_bytes_per_s: { type: 'integer', minimum: 0, default: 262144, description: 'cap on outbox payload bytes sent per second (0 = no cap)' },
        in_flight_max: { type: 'integer', minimum: 1, maximum: 1000, default: 16, description: 'QoS 1 messages awaiting their PUBACK at once' },
        telemetry_interval_s: { type: 'integer', minimum: 0, maximum: 86400, default: 60, description: 'telemetry period (0 = none), s' },
        telemetry_expiry_s: { type: 'integer', minimum: 1, maximum: 604800, default: 600, description: 'a telemetry message not sent within this long is dropped (MQTT message expiry), s' },
        datasets: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'datasets for retraining: a scan side\'s frames, maps, calibration and labels, uploaded in sha256-addressed chunks',
          properties: {
            upload: { enum: ['off', 'on-request', 'every-scan'], default: 'off', description: 'off: never upload; on-request: when the fleet asks (dataset-pull); every-scan: every finished scan as well' },
            chunk_bytes: { type: 'integer', minimum: 65536, maximum: 4194304, default: 1048576, description: 'size of one transferred chunk, bytes' },
            window_bytes: { type: 'integer', minimum: 65536, maximum: 268435456, default: 8388608, description: 'chunk bytes queued in the outbox at once (the rest wait as references to stored files), bytes' },
            reoffer_s: { type: 'integer', minimum: 5, maximum: 86400, default: 120, description: 'offer a dataset again when the fleet has neither answered nor confirmed it for this long, s' },
          },
        },
        model_keys: {
          type: 'array',
          maxItems: 16,
          uniqueItems: true,
          items: { type: 'string', minLength: 1 },
          default: [],
          description: 'PEM files of the ed25519 public keys whose model releases this booth accepts (gradebooth fleet keygen); none = every model release is refused',
        },
        model_download_bytes_per_s: { type: 'integer', minimum: 0, default: 0, description: 'cap on model download bytes per second (0 = no cap)' },
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
