package io.connectedregistry.storage;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Exclusive access to one upload while a request appends to it or commits it. Bytes are hashed as
 * they are written, so committing a blob does not read it back. Not thread-safe: one request owns
 * it, and its writes run one at a time on a worker.
 *
 * <p>Between requests a handle whose writes all completed is {@linkplain #park() parked} open, so
 * the client's next PATCH takes it back on the event loop ({@link RegistryStorage#takeParkedUpload})
 * without a worker round trip, a file open or a re-hash. Parking changes nothing on disk: the
 * folder is still the whole state, and after a restart the upload resumes from the file.
 */
public final class UploadHandle implements AutoCloseable {
  private final Uploads owner;
  private final String id;
  private final String repository;
  private final FileChannel channel;
  private final Uploads.HashState hash;
  /** Set by {@link #begin()} for each request that takes the handle. */
  private long startSize;
  /** The hash of the first {@link #startSize} bytes, for {@link #rollBack()}. */
  private MessageDigest startHash;
  /** Set when the upload is deleted (cancelled, expired) while this request holds it. */
  private volatile boolean gone;
  private volatile boolean closed;

  UploadHandle(Uploads owner, String id, String repository, FileChannel channel, Uploads.HashState hash) {
    this.owner = owner;
    this.id = id;
    this.repository = repository;
    this.channel = channel;
    this.hash = hash;
    begin();
  }

  /** A request takes the handle: what it appends can be rolled back to here. */
  void begin() {
    startSize = hash.size;
    startHash = copy(hash.sha256);
  }

  public String id() {
    return id;
  }

  public String repository() {
    return repository;
  }

  /** Bytes in the upload before this request appended anything. */
  public long startSize() {
    return startSize;
  }

  /** Bytes in the upload now. */
  public long size() {
    return hash.size;
  }

  /** Blocking: appends and hashes, in order. */
  public void append(ByteBuffer data) throws IOException {
    append(new ByteBuffer[] {data});
  }

  /**
   * Blocking: appends and hashes several buffers, written through a per-thread direct buffer. All
   * or nothing: a failed write (a full disk) is cut off the file again, so file and hash still
   * agree. Throws INSUFFICIENT_STORAGE below the free-space floor or when the disk is full, and
   * BLOB_UPLOAD_UNKNOWN once the upload was cancelled or expired under this request.
   */
  public void append(ByteBuffer[] data) throws IOException {
    requireNotGone();
    long total = 0;
    for (ByteBuffer b : data) {
      total += b.remaining();
    }
    owner.space().requireRoom(total, "new blob bytes");
    MessageDigest before = copy(hash.sha256);
    hash.valid = false; // until the write is known complete
    ByteBuffer staging = null;
    try {
      if (allDirect(data)) {
        // A sync download's socket buffers: hashed and written as they are, one gathering
        // write (no staging copy; the JDK copies only heap buffers).
        for (ByteBuffer b : data) {
          hash.sha256.update(b.duplicate());
        }
        long left = total;
        while (left > 0) {
          left -= channel.write(data);
        }
      } else {
        staging = takeStaging();
        for (ByteBuffer b : data) {
          hash.sha256.update(b.duplicate());
          while (b.hasRemaining()) {
            if (!staging.hasRemaining()) {
              writeFully(staging);
            }
            int n = Math.min(staging.remaining(), b.remaining());
            staging.put(b.slice(b.position(), n));
            b.position(b.position() + n);
          }
        }
        writeFully(staging);
      }
    } catch (IOException e) {
      restore(hash.size, before);
      if (DiskSpace.isOutOfSpace(e)) {
        throw owner.space().outOfSpace("write to upload " + id + " (the failed bytes were not kept)");
      }
      throw e;
    } finally {
      if (staging != null) {
        giveBack(staging);
      }
    }
    hash.size += total;
    hash.unflushed += total;
    hash.valid = true;
    if (hash.unflushed >= Uploads.FLUSH_EVERY_BYTES && (hash.flushing == null || hash.flushing.isDone())) {
      // Start writing dirty pages to disk while the rest arrives (in this request or the next
      // chunk's), so the fsync at commit, which the 201 waits for, only has the tail left to do.
      hash.unflushed = 0;
      hash.flushing = owner.flushInBackground(id);
    }
  }

  private static boolean allDirect(ByteBuffer[] data) {
    for (ByteBuffer b : data) {
      if (!b.isDirect()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Heap buffers would be copied by the JDK into temporary direct buffers, one per buffer of a
   * gathering write, which can exhaust a small device's direct memory; one bounded buffer per
   * append does the same copy with one write per 128 KiB. Taken from a few kept idle rather than
   * one per thread: appends run on any of the storage pool's threads (up to 16), so one per thread came
   * to 2 MiB of direct memory for what one or two uploads at a time use.
   */
  static final int STAGING_BYTES = 128 * 1024;
  private static final ArrayBlockingQueue<ByteBuffer> IDLE_STAGING = new ArrayBlockingQueue<>(4);

  private static ByteBuffer takeStaging() {
    ByteBuffer staging = IDLE_STAGING.poll();
    return staging != null ? staging.clear() : ByteBuffer.allocateDirect(STAGING_BYTES);
  }

  /** Kept for the next append, or left to the collector when enough are idle. */
  private static void giveBack(ByteBuffer staging) {
    IDLE_STAGING.offer(staging.clear());
  }

  private void writeFully(ByteBuffer staging) throws IOException {
    staging.flip();
    while (staging.hasRemaining()) {
      channel.write(staging);
    }
    staging.clear();
  }

  /**
   * The digest of everything appended so far in {@code algorithm}; re-reads the file only for
   * sha512. Public for sync, which names the actual digest when a parent's blob does not match.
   */
  public Digest digest(String algorithm) throws IOException {
    if (algorithm.equals("sha256")) {
      try {
        MessageDigest copy = (MessageDigest) hash.sha256.clone();
        return Digest.fromHasher("sha256", copy);
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException(e);
      }
    }
    return Uploads.hashFile(channel, algorithm, hash.size);
  }

  FileChannel channel() {
    return channel;
  }

  /**
   * Blocking: forgets everything this request appended, giving the space back; the upload is as
   * its client last saw it acknowledged, and resumable from there. For a request refused for lack
   * of space.
   */
  public void rollBack() throws IOException {
    restore(startSize, startHash);
    if (!hash.valid) {
      throw new IOException("could not cut upload " + id + " back to " + startSize + " bytes");
    }
  }

  /** Cuts the file back to {@code size} bytes hashed by {@code digest}; on failure the hash stays invalid. */
  private void restore(long size, MessageDigest digest) {
    try {
      channel.truncate(size);
      channel.position(size);
      hash.sha256 = copy(digest);
      hash.size = size;
      hash.valid = true;
    } catch (IOException e) {
      hash.valid = false; // the next request re-hashes what is on disk
    }
  }

  void markGone() {
    gone = true;
  }

  /** Throws BLOB_UPLOAD_UNKNOWN once the upload was cancelled or expired under this request. */
  void requireNotGone() {
    if (gone) {
      throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception("upload " + id + " was cancelled or expired"
          + " (an upload may live storage.uploadMaxAge at most)");
    }
  }

  private static MessageDigest copy(MessageDigest digest) {
    try {
      return (MessageDigest) digest.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Non-blocking: releases the upload for the next request but keeps the file open for it (the
   * next PATCH takes it back from memory). Only for a handle no write is still running on (its
   * request's body stream ended cleanly, or none was started). False, with nothing done, when the
   * handle cannot be kept (closed, cancelled, or its hash no longer matches the file): the caller
   * then {@linkplain #close() closes} it on a worker.
   */
  public boolean park() {
    return !closed && !gone && hash.valid && owner.park(this);
  }

  /** True once the file is closed (committed, or released through {@link #close()}). */
  public boolean isClosed() {
    return closed;
  }

  Uploads.HashState hashState() {
    return hash;
  }

  boolean isGone() {
    return gone;
  }

  /** Blocking: closes the file and releases the upload for the next request. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closeChannel();
    owner.release(id, hash);
  }

  /** Blocking: closes the file only (a parked handle evicted or deleted). Idempotent. */
  void closeChannel() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      channel.close();
    } catch (IOException ignored) {
      // the data that matters is already written or will be re-validated by the next request
    }
  }
}
