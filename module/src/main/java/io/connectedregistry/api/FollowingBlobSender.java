package io.connectedregistry.api;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.sync.BlobFetcher;
import io.connectedregistry.sync.FollowedBlob;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * Streams a blob that is still being downloaded from the parent (on-demand pull-through): it
 * reads the upload's file as it grows, so the client gets the bytes as they arrive instead of
 * waiting for the whole layer. The file is only appended to and stays readable after its commit
 * (a rename), so a reader never sees anything but a prefix of the blob.
 *
 * <p>The sender hashes what it sends and holds back the last chunk until the whole blob hashed to
 * the digest asked for: a parent that sends wrong bytes of the right length, or a short blob with
 * a Content-Length to match, never gives the client a complete-looking wrong blob. On such a
 * mismatch, or when the download is given up (parent gone) or starts over in a new upload, the
 * connection is closed mid-body: the client sees a short read and retries.
 */
final class FollowingBlobSender {
  private static final int CHUNK = 256 * 1024;
  /** How long to wait for more bytes when the reader has caught up with the download. */
  private static final long WAIT_MS = 10;

  private final RoutingContext ctx;
  private final Storage storage;
  private final BlobFetcher.Transfer transfer;
  private final String uploadId;
  private final long length;
  private final FileChannel channel;
  private final Digest digest;
  /** What was read so far; used by one worker task at a time (each read waits for the last). */
  private final MessageDigest hasher;
  private long position;
  private boolean closed;

  private FollowingBlobSender(RoutingContext ctx, Storage storage, BlobFetcher.Transfer transfer,
      String uploadId, long length, FileChannel channel, Digest digest) {
    this.ctx = ctx;
    this.digest = digest;
    this.hasher = digest.newHasher();
    this.storage = storage;
    this.transfer = transfer;
    this.uploadId = uploadId;
    this.length = length;
    this.channel = channel;
  }

  /**
   * Sends the blob following its download; runs {@code fallback} (serve from storage) once the
   * blob is stored when the download ends before it can be followed.
   */
  static void send(RoutingContext ctx, Storage storage, FollowedBlob followed, Digest digest,
      Runnable fallback) {
    BlobFetcher.Transfer transfer = followed.transfer();
    transfer.length().onComplete(known -> {
      if (known.failed() || known.result() <= 0) {
        // Size unknown (or nothing to follow): wait for the whole, verified blob.
        followed.stored().onComplete(done -> fallback.run());
        return;
      }
      String uploadId = transfer.uploadId(); // set before the size is known
      storage.call(s -> s.readUpload(transfer.repository(), uploadId)).onComplete(opened -> {
        if (opened.failed()) {
          // Committed (or given up) meanwhile: storage has the answer.
          if (opened.cause() instanceof RegistryException r && r.code() == ErrorCode.BLOB_UPLOAD_UNKNOWN) {
            followed.stored().onComplete(done -> fallback.run());
          } else {
            ctx.fail(opened.cause());
          }
          return;
        }
        BlobHandler.headers(ctx.response(), digest)
            .putHeader("Content-Length", String.valueOf(known.result()));
        FollowingBlobSender sender = new FollowingBlobSender(ctx, storage, transfer, uploadId,
            known.result(), opened.result(), digest);
        ctx.response().closeHandler(v -> sender.close());
        sender.next();
      });
    });
  }

  private void next() {
    if (closed) {
      return;
    }
    if (position >= length) {
      ctx.response().end(); // the last chunk was sent only after the digest matched
      close();
      return;
    }
    // Taken before the read: a download that had ended by then adds nothing the read missed.
    boolean ended = transfer.done().isComplete();
    storage.call(s -> read()).onComplete(read -> {
      if (closed) {
        return;
      }
      if (read.failed()) {
        abort();
        return;
      }
      Buffer chunk = read.result();
      if (chunk.length() > 0) {
        position += chunk.length();
        HttpServerResponse response = ctx.response();
        response.write(chunk);
        if (response.writeQueueFull()) {
          response.drainHandler(v -> next());
        } else {
          next();
        }
        return;
      }
      // Caught up with the download: wait for more, unless it has ended (short of the length
      // announced) or started over in another upload.
      if (ended || !uploadId.equals(transfer.uploadId())) {
        abort();
        return;
      }
      ctx.vertx().setTimer(WAIT_MS, id -> next());
    });
  }

  /**
   * On a worker: what the file has beyond {@code position}, at most a chunk, hashed. The chunk
   * that completes the length is returned only if the whole blob matches the digest.
   */
  private Buffer read() throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(CHUNK, length - position));
    int n = channel.read(buffer, position);
    if (n <= 0) {
      return Buffer.buffer();
    }
    buffer.flip();
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    hasher.update(bytes);
    if (position + n == length) {
      Digest actual = Digest.fromHasher(digest.algorithm(), hasher);
      if (!actual.equals(digest)) {
        throw new IOException("the parent's bytes hash to " + actual + ", not " + digest);
      }
    }
    return Buffer.buffer(bytes);
  }

  /** The download failed or started over: cut the connection so the client cannot mistake a prefix for the blob. */
  private void abort() {
    close();
    ctx.request().connection().close();
  }

  private void close() {
    if (!closed) {
      closed = true;
      try {
        channel.close();
      } catch (IOException ignored) {
        // Read-only: nothing to lose.
      }
    }
  }
}
