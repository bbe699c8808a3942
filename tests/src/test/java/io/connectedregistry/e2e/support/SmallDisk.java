package io.connectedregistry.e2e.support;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * A small file system of a fixed size that a test mounts itself (a tmpfs: {@code mount -t tmpfs
 * -o size=...}), to run a registry's data folder out of space for real. Needs root; a test whose
 * mount is refused is skipped (JUnit assumption) with the reason.
 *
 * <p>{@link #fill()} plays another process filling the disk: it writes a file until the kernel
 * answers ENOSPC.
 */
public final class SmallDisk implements AutoCloseable {

  private static final String FILLER = "e2e-filler.bin";
  private final Path dir;
  private boolean mounted;

  private SmallDisk(Path dir) {
    this.dir = dir;
  }

  /** Mounts a tmpfs of {@code size} (e.g. {@code 64m}) on {@code dir}; skips the test if not permitted. */
  public static SmallDisk mount(Path dir, String size) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Command.Result result = Command.run(List.of("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs",
        dir.toString()), java.util.Map.of(), 30);
    assumeTrue(result.ok(), () -> "skipped: this test needs to mount a small tmpfs (as root) and could not: "
        + result.describe());
    SmallDisk disk = new SmallDisk(dir);
    disk.mounted = true;
    return disk;
  }

  public Path dir() {
    return dir;
  }

  /** Bytes an unprivileged writer could still write. */
  public long free() {
    try {
      return Files.getFileStore(dir).getUsableSpace();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a filler file until ENOSPC (the disk is then genuinely full); returns its size. */
  public long fill() {
    return fillWhile(() -> true);
  }

  /**
   * Writes the filler until ENOSPC, 64 KiB at a time and then a page at a time (what a chunk could
   * not take), or until {@code go} says to stop; returns the bytes written.
   */
  private long fillWhile(java.util.function.BooleanSupplier go) {
    Path filler = dir.resolve(FILLER);
    long written = 0;
    byte[] chunk = new byte[64 * 1024];
    java.util.Arrays.fill(chunk, (byte) 0x5a);
    try (OutputStream out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND)) {
      while (go.getAsBoolean()) {
        out.write(chunk);
        written += chunk.length;
        out.flush();
      }
      return written;
    } catch (IOException full) {
      // ENOSPC: exactly what was wanted; a partial chunk may or may not have gone in
    }
    try (OutputStream out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.APPEND)) {
      byte[] page = new byte[4096];
      for (int i = 0; i < 64 && go.getAsBoolean(); i++) {
        out.write(page);
        out.flush();
      }
    } catch (IOException full) {
      // full
    }
    return written;
  }

  /** Writes to the filler file (another process) until only about {@code leave} bytes are free. */
  public void fillLeaving(long leave) {
    byte[] chunk = new byte[256 * 1024];
    try (OutputStream out = Files.newOutputStream(dir.resolve(FILLER), java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND)) {
      for (int i = 0; i < 100_000 && free() > leave + chunk.length; i++) {
        out.write(chunk);
        out.flush();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Fills the disk again and again (the registry may free a reserve meanwhile) until it stays full. */
  public void fillUntilStillFullAfter(Duration settle, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      fill();
      RegistryProcess.sleep(settle.toMillis());
      if (free() < 64 * 1024 || Instant.now().isAfter(deadline)) {
        return;
      }
    }
  }

  /**
   * {@link #fill}, except that it stops as soon as the registry gives its space reserve back
   * ({@code reserve}, a file the registry makes whole by rename, is gone): what the registry gives
   * back stays free, as when another process fills the disk and stops. {@code fill()} would take
   * that too whenever the registry gives it back before the fill ends (it does once less than the
   * reserve is free; a busy machine makes that likely). Returns the bytes written.
   */
  public long fillSparingTheReserve(Path reserve) {
    boolean held = Files.exists(reserve);
    return fillWhile(() -> !held || Files.exists(reserve));
  }

  /** Deletes the filler: the space another process took comes back. */
  public void unfill() {
    try {
      Files.deleteIfExists(dir.resolve(FILLER));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until free space satisfies {@code condition}; returns the last value seen. */
  public long awaitFree(LongPredicate condition, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    long free = free();
    while (!condition.test(free) && Instant.now().isBefore(deadline)) {
      RegistryProcess.sleep(100);
      free = free();
    }
    return free;
  }

  @Override
  public void close() {
    if (!mounted) {
      return;
    }
    mounted = false;
    Command.Result r = Command.run(List.of("umount", dir.toString()), java.util.Map.of(), 30);
    if (!r.ok()) {
      // Still busy (a process that did not stop): detach it, so the next run can mount again.
      Command.run(List.of("umount", "-l", dir.toString()), java.util.Map.of(), 30);
    }
  }
}
