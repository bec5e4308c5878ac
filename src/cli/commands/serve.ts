import { boolOption, type Command } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';
import { createLogger } from '../../daemon/logger.ts';
import { EventBus } from '../../core/events.ts';
import { isGradeboothError } from '../../core/errors.ts';
import { createDaemon } from '../../main.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the booth daemon (API, UI, hardware); the simulated booth when no settings file is given',
  usage: '[--config FILE] [--data-dir DIR] [--port N] [--sim]',
  help: `Options:
${settingsOptionsHelp}
  --port N          HTTP port (overrides the file and GRADEBOOTH_PORT; 0 = any free port)
  --sim             the simulated rig and camera whatever the settings file says

Environment: GRADEBOOTH_DATA_DIR, GRADEBOOTH_PORT; NOTIFY_SOCKET and WATCHDOG_USEC under systemd.
Stops gracefully on SIGTERM or SIGINT.`,
  options: { ...settingsOptions, port: { type: 'string' }, sim: { type: 'boolean' } },
  async run(args, ctx) {
    const loaded = settingsFromArgs(args, ctx.env);
    const { file } = loaded;
    let { settings, overrides } = loaded;
    if (boolOption(args, 'sim')) {
      const { rig, camera } = settings.hardware;
      settings = { ...settings, hardware: { ...settings.hardware, rig: { ...rig, kind: 'simulated' }, camera: { ...camera, kind: 'simulated' } } };
      overrides = [...overrides, 'hardware.rig.kind and hardware.camera.kind = simulated from --sim'];
    }
    const logger = createLogger(settings.log_level, ctx.stdout);
    logger.info({ settingsFile: file ?? null, overrides }, file ? 'settings loaded' : 'no settings file: running the simulated booth on defaults');
    const daemon = await createDaemon(settings, logger, new EventBus(), ctx.env);

    // A bug must not leave a half-alive daemon: log it and exit non-zero so systemd restarts us.
    const onFatal = (err: unknown): void => {
      logger.fatal({ err }, 'uncaught error: exiting');
      process.exit(1);
    };
    process.on('uncaughtException', onFatal);
    process.on('unhandledRejection', onFatal);
    const timeoutMs = settings.shutdown.timeout_ms;
    // A graceful stop that overruns shutdown.timeout_ms (a client holding a request open, a device that
    // does not answer) must not leave a half-stopped daemon that only SIGKILL ends: exit hard. The
    // simulated rig's harness dies with us (PR_SET_PDEATHSIG).
    const stopOrForceExit = async (): Promise<boolean> => {
      let timer: NodeJS.Timeout | undefined;
      let stopFailed = false;
      const overran = await Promise.race([
        daemon.stop().then(() => false, (err: unknown) => {
          logger.error({ err }, 'graceful stop failed');
          stopFailed = true;
          return false;
        }),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (overran) {
        logger.error({ timeoutMs }, 'graceful stop overran shutdown.timeout_ms: forcing exit');
        process.exit(1);
      }
      return !stopFailed;
    };
    try {
      try {
        await daemon.start();
      } catch (err) {
        // A coded error (port in use, data directory held) is a plain fact for the log, not a crash to debug.
        if (isGradeboothError(err)) logger.fatal({ code: err.code, ...err.details }, `start-up failed: ${err.message}`);
        else logger.fatal({ err }, 'start-up failed');
        await stopOrForceExit();
        // Whatever still holds the event loop after a failed start (a half-open server, a device's
        // reconnect timer) must not keep the process alive: the exit code is set, leave soon.
        setTimeout(() => process.exit(1), timeoutMs).unref();
        throw err;
      }
      if (!ctx.stopSignal.aborted) await new Promise<void>((resolve) => ctx.stopSignal.addEventListener('abort', () => resolve(), { once: true }));
      logger.info('stop requested');
      return (await stopOrForceExit()) ? 0 : 1;
    } finally {
      process.off('uncaughtException', onFatal);
      process.off('unhandledRejection', onFatal);
    }
  },
};
