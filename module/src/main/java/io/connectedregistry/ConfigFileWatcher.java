package io.connectedregistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rereads the configuration file when its content changes, as SIGHUP does, for places where
 * nobody sends a signal: a Kubernetes ConfigMap mounted as a folder is never edited in place; the
 * kubelet writes each version into a new hidden folder and swaps a {@code ..data} symlink, so
 * the file's own path, its modification time and the watched folder's entries can all stay the
 * same. So the file is read through its symlinks every {@code configWatchInterval} and its
 * content compared with the last seen.
 *
 * <p>A change is reported once: a broken file is logged (by the reload, which changes nothing)
 * and not reread until its content changes again. A file that cannot be read keeps the
 * configuration in effect. Runs on a daemon thread of its own, like the SIGHUP handler: the
 * reload reads files and may wait for the sync service, which no event loop may do.
 */
final class ConfigFileWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigFileWatcher.class);

  private final Path file;
  /** The SHA-256 of the content last read; null while it was never readable. */
  private byte[] seen;
  private boolean unreadable;
  private ScheduledExecutorService timer;

  /**
   * Reads the file's content now: made before the configuration is built from the file, so a
   * change made while the registry starts is seen at the first poll.
   */
  ConfigFileWatcher(Path file) {
    this.file = file;
    this.seen = digest();
  }

  /** Polls every {@code interval} on a thread of its own; zero: never. */
  synchronized void start(Duration interval, Runnable reload) {
    if (interval.isZero()) {
      LOG.info("configuration file {} not watched (configWatchInterval: PT0S); SIGHUP rereads it", file);
      return;
    }
    timer = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = new Thread(task, "config-file-watcher");
      thread.setDaemon(true);
      return thread;
    });
    long millis = interval.toMillis();
    timer.scheduleWithFixedDelay(() -> poll(reload), millis, millis, TimeUnit.MILLISECONDS);
    LOG.info("watching the configuration file {} every {} (configWatchInterval)", file, interval);
  }

  /** Reloads when the content changed since the last poll. */
  void poll(Runnable reload) {
    try {
      if (changed()) {
        LOG.info("configuration file {} changed (now {}): rereading it", file, realPath());
        reload.run();
      }
    } catch (RuntimeException e) {
      // Never let one failure end the polling (a scheduled task that throws is not run again).
      LOG.error("watching the configuration file failed; still watching", e);
    }
  }

  /** Whether the content differs from the last read; remembers the new content. */
  synchronized boolean changed() {
    byte[] now = digest();
    if (now == null) {
      return false;
    }
    boolean changed = seen != null && !Arrays.equals(seen, now);
    seen = now;
    return changed;
  }

  private byte[] digest() {
    try {
      // Through every symlink, as the configuration loader reads it.
      byte[] content = Files.readAllBytes(file);
      if (unreadable) {
        unreadable = false;
        LOG.info("configuration file {} readable again", file);
      }
      return MessageDigest.getInstance("SHA-256").digest(content);
    } catch (IOException e) {
      if (!unreadable) {
        unreadable = true;
        LOG.warn("configuration file {} cannot be read ({}); the configuration in effect stays",
            file, e.toString());
      }
      return null;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private String realPath() {
    try {
      return file.toRealPath().toString();
    } catch (IOException e) {
      return file.toString();
    }
  }

  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
