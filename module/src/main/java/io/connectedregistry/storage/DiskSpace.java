package io.connectedregistry.storage;

import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.RegistryException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Free space on the data folder's file system ({@code storage.minFreeBytes}).
 *
 * <ul>
 *   <li>Below the floor, new bytes are refused with 507 {@code INSUFFICIENT_STORAGE} (new uploads,
 *       chunks, manifests, sync downloads); reads, deletes and commits of bytes already written go
 *       on. Token administration goes to {@code auth.db} on the same file system, which the floor
 *       leaves room for.
 *   <li>The space is measured (one {@code statvfs}) at most once a second, or sooner when the bytes
 *       appended since the last measure may have crossed the floor; the server also measures once a
 *       second on a worker ({@link #refresh()}), so {@link #isLow()} on an event loop is current.
 *   <li>A reserve file ({@code DATA/space-reserve}, up to 8 MiB, half the floor at most) is the
 *       answer to a disk that something else filled to the last byte: SQLite then cannot even grow
 *       its journal, so disabling a token, deleting a manifest or collecting garbage would fail.
 *       When less than the reserve is left it is deleted, which gives those small writes room; it
 *       comes back once the free space is above the floor plus the reserve again.
 * </ul>
 *
 * A floor of 0 turns all of this off (no refusals, no reserve).
 */
public final class DiskSpace {
  private static final Logger LOG = LoggerFactory.getLogger(DiskSpace.class);
  private static final long MAX_RESERVE = 8L * 1024 * 1024;
  /** The block size a deduplicating file system compares (4 KiB, the usual page and block). */
  private static final int RESERVE_BLOCK = 4096;
  private static final long FRESH_NANOS = 1_000_000_000L;

  private final Path root;
  private final Path reserve;
  private final FileStore store;
  private final long minFreeBytes;
  private final long reserveBytes;
  private volatile long usable;
  private volatile long checkedAt;
  /** Bytes appended since the last measure: the estimate of what is left between two measures. */
  private final AtomicLong appendedSinceCheck = new AtomicLong();
  private boolean reserveHeld; // guarded by this

  /** Measures once; releases a reserve at once if the disk is already full (before SQLite opens). */
  DiskSpace(StoragePaths paths, long minFreeBytes) throws IOException {
    this.root = paths.root();
    this.reserve = paths.spaceReserve();
    this.store = Files.getFileStore(root);
    this.minFreeBytes = Math.max(0, minFreeBytes);
    this.reserveBytes = Math.min(MAX_RESERVE, this.minFreeBytes / 2);
    synchronized (this) {
      // A reserve of another size (the floor changed) or cut short by a crash is made anew.
      reserveHeld = Files.exists(reserve) && Files.size(reserve) == reserveBytes && reserveBytes > 0;
      if (!reserveHeld) {
        Files.deleteIfExists(reserve);
      }
    }
    refresh();
  }

  /** Free bytes at the last measure. Non-blocking. */
  public long freeBytes() {
    return usable;
  }

  /** The floor ({@code storage.minFreeBytes}); 0 = off. */
  public long minFreeBytes() {
    return minFreeBytes;
  }

  /** True when the last measure found less than the floor free. Non-blocking. */
  public boolean isLow() {
    return minFreeBytes > 0 && usable < minFreeBytes;
  }

  /**
   * Blocking (a measure at most once a second, more often only near the floor). Throws 507
   * INSUFFICIENT_STORAGE when the file system has less than the floor free; {@code what} names
   * what was refused. Call before writing {@code bytes} new bytes.
   */
  void requireRoom(long bytes, String what) {
    if (minFreeBytes == 0) {
      return;
    }
    long estimate = usable - appendedSinceCheck.addAndGet(bytes);
    if (estimate < minFreeBytes || System.nanoTime() - checkedAt > FRESH_NANOS) {
      refresh();
      appendedSinceCheck.addAndGet(bytes);
    }
    long free = usable;
    if (free < minFreeBytes) {
      appendedSinceCheck.addAndGet(-bytes); // refused: not written
      throw ErrorCode.INSUFFICIENT_STORAGE.exception("the data folder's file system has " + describe(free)
          + " free, below storage.minFreeBytes = " + describe(minFreeBytes) + ": " + what
          + " are refused until space is freed (delete images, then collect garbage); pulls go on");
    }
  }

  /**
   * Blocking: measures the free space, and gives the reserve back when the disk is all but full
   * or takes it again when there is room.
   */
  public synchronized void refresh() {
    try {
      long free = store.getUsableSpace();
      reserveHeld = reserveHeld && Files.exists(reserve); // the token CLI may have released it
      if (reserveHeld && free < reserveBytes) {
        Files.deleteIfExists(reserve);
        reserveHeld = false;
        free = store.getUsableSpace();
        LOG.warn("the data folder's file system is full: released the {} space reserve so that token"
            + " changes, deletes and garbage collection still fit ({} free now)", describe(reserveBytes), describe(free));
      } else if (!reserveHeld && reserveBytes > 0 && free - reserveBytes >= minFreeBytes) {
        createReserve();
        reserveHeld = true;
        free = store.getUsableSpace();
      }
      usable = free;
    } catch (IOException e) {
      // Measuring failed (the file system went away?): keep the last value; writes will say more.
      LOG.warn("cannot measure free space on {}: {}", root, e.toString());
    } finally {
      checkedAt = System.nanoTime();
      appendedSinceCheck.set(0);
    }
  }

  /**
   * Random bytes, not zeros: a compressing or deduplicating file system would store zeros in
   * nothing, and the reserve would reserve nothing. One random chunk, each of its 4 KiB blocks
   * stamped with its place in the file, so no two blocks are alike: a deduplicating file system
   * cannot share them either. (Drawing every long of 8 MiB from the generator took ~100 ms of a
   * new store's first start, in a JVM that still interprets.)
   */
  private void createReserve() throws IOException {
    Path temp = reserve.resolveSibling(reserve.getFileName() + ".tmp");
    ByteBuffer chunk = ByteBuffer.allocate(256 * 1024);
    SplittableRandom random = new SplittableRandom();
    while (chunk.hasRemaining()) {
      chunk.putLong(random.nextLong());
    }
    try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      for (long written = 0; written < reserveBytes; ) {
        chunk.clear();
        for (int block = 0; block < chunk.capacity(); block += RESERVE_BLOCK) {
          chunk.putLong(block, written + block);
        }
        chunk.limit((int) Math.min(chunk.limit(), reserveBytes - written));
        while (chunk.hasRemaining()) {
          written += out.write(chunk);
        }
      }
      out.force(true);
      Files.move(temp, reserve, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
  }

  /** True when {@code e} (or a cause) is the file system saying it is full. */
  static boolean isOutOfSpace(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && (sql.getErrorCode() & 0xff) == 13) { // SQLITE_FULL
        return true;
      }
      String message = String.valueOf(t.getMessage());
      if (t instanceof IOException
          && (message.contains("No space left on device") || message.contains("Disk quota exceeded"))) {
        return true;
      }
    }
    return false;
  }

  /** The 507 for a write the file system refused for lack of space; {@code what} says what failed. */
  RegistryException outOfSpace(String what) {
    refresh();
    return ErrorCode.INSUFFICIENT_STORAGE.exception("the data folder's file system is full (" + describe(usable)
        + " free" + (minFreeBytes > 0 ? "; storage.minFreeBytes = " + describe(minFreeBytes) : "") + "): could not "
        + what + "; free space (delete images, then collect garbage) and retry");
  }

  /**
   * For the {@code token} CLI, which does not open the store: on a disk full to its last bytes,
   * gives the registry's reserve back so that an {@code auth.db} change fits (a running registry
   * does the same within a second). Blocking.
   */
  public static void releaseReserveIfFull(Path dataDirectory) throws IOException {
    Path reserve = new StoragePaths(dataDirectory).spaceReserve();
    if (Files.exists(reserve) && Files.getFileStore(dataDirectory).getUsableSpace() < Files.size(reserve)) {
      Files.deleteIfExists(reserve); // silently: the CLI's stdout is its JSON answer
    }
  }

  /** {@code 25165824 bytes (24.0 MiB)}. */
  public static String describe(long bytes) {
    return bytes + " bytes (" + String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024)) + ")";
  }
}
