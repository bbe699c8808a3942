package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.storage.RegistryStorage;
import io.connectedregistry.storage.UploadHandle;
import io.connectedregistry.storage.UploadWriteStream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.streams.ReadStream;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads a parent blob into local storage through an ordinary upload, so it gets the same
 * digest check and durable commit as a client push. Streams (never holds a blob in memory), runs
 * every storage call on {@code worker}, and resumes a dropped connection with
 * {@code Range: bytes=<received>-} (from 0 if the parent ignores the range). Bytes that do not hash
 * to the digest asked for are discarded with a {@link DigestMismatchException}. With the size the
 * manifest's descriptor gives, the download stops at that size: a parent that declares or sends
 * more is cut off before it fills the disk.
 */
public final class BlobFetcher {
  private static final Logger LOG = LoggerFactory.getLogger(BlobFetcher.class);

  /** Drops in a row without a byte of progress before the download is given up. */
  static final int MAX_STALLED_RESUMES = 5;

  private final Vertx vertx;
  private final GetBlob getBlob;
  private final RegistryStorage storage;
  private final WorkerExecutor worker;
  private final TransferCounter counter;
  private final BandwidthLimiter bandwidth;
  /**
   * Downloads cut short by an unreachable parent, by repository@digest → upload id: the next
   * attempt resumes there with Range instead of fetching the bytes again. In memory only; after a
   * restart the upload is simply left to expire ({@code storage.uploadExpiry}).
   */
  private final java.util.Map<String, String> partial = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * @param alreadyPresent true when storage had the blob and nothing was downloaded
   * @param bytesReceived bytes that came over the wire for this blob, restarts included
   */
  public record Result(Digest digest, long size, long bytesReceived, boolean alreadyPresent) {}

  public BlobFetcher(ParentCaller caller, RegistryStorage storage, WorkerExecutor worker, TransferCounter counter) {
    this(caller, storage, worker, counter, BandwidthLimiter.UNLIMITED);
  }

  /** @param bandwidth shared by every download of this registry ({@code sync.bandwidth}) */
  public BlobFetcher(ParentCaller caller, RegistryStorage storage, WorkerExecutor worker, TransferCounter counter,
      BandwidthLimiter bandwidth) {
    this.bandwidth = bandwidth;
    this.vertx = caller.vertx();
    this.getBlob = new GetBlob(caller);
    this.storage = storage;
    this.worker = worker;
    this.counter = counter;
  }

  /**
   * A download in progress, for readers that follow it as it is written (on-demand pull-through):
   * where the bytes go, how many there will be, and when it ends.
   */
  public static final class Transfer {
    private final String repository;
    private volatile String uploadId;
    private final Promise<Long> length = Promise.promise();
    private final Promise<Result> done = Promise.promise();

    Transfer(String repository, String uploadId) {
      this.repository = repository;
      this.uploadId = uploadId;
    }

    /** The local repository whose upload receives the bytes. */
    public String repository() {
      return repository;
    }

    /**
     * The upload being written now (null for the moment before it is opened); it changes only if
     * the download had to start over.
     */
    public String uploadId() {
      return uploadId;
    }

    /** The blob's size, once the parent's response said it. */
    public Future<Long> length() {
      return length.future();
    }

    /** Completes when the blob is committed; fails when the download is given up. */
    public Future<Result> done() {
      return done.future();
    }
  }

  /** Downloads in progress, by digest. */
  private final java.util.Map<Digest, Transfer> transfers = new java.util.concurrent.ConcurrentHashMap<>();

  /** The download of {@code digest} in progress, if any. */
  public java.util.Optional<Transfer> transfer(Digest digest) {
    return java.util.Optional.ofNullable(transfers.get(digest));
  }

  /**
   * Fetches {@code digest} of the parent's {@code repository} into the local repository of that
   * name, its size unknown (bounded only by the digest check at the end).
   */
  public Future<Result> fetch(String repository, Digest digest) {
    return fetch(repository, repository, digest, -1);
  }

  public Future<Result> fetch(String parentRepository, String localRepository, Digest digest) {
    return fetch(parentRepository, localRepository, digest, -1);
  }

  /** @param size the size its descriptor gives (the download stops there), or -1 when unknown */
  public Future<Result> fetch(String parentRepository, String localRepository, Digest digest, long size) {
    Context loop = vertx.getOrCreateContext();
    return blocking(() -> storage.blobSize(localRepository, digest).orElse(-1L)).compose(stored -> {
      if (stored >= 0) {
        return Future.succeededFuture(new Result(digest, stored, 0, true));
      }
      Transfer transfer = new Transfer(localRepository, null);
      Transfer running = transfers.putIfAbsent(digest, transfer);
      if (running != null) {
        // Already coming down (for another image, another repository or a pull): once is enough.
        return running.done().compose(r -> blocking(() -> storage.linkExistingBlob(localRepository, digest))
            .map(linked -> new Result(digest, r.size(), 0, true)));
      }
      String key = localRepository + "@" + digest;
      String kept = partial.remove(key);
      return blocking(() -> kept == null ? open(localRepository) : reopen(localRepository, kept))
          .compose(upload -> {
            transfer.uploadId = upload.id();
            return new Download(loop, parentRepository, localRepository, digest, size, upload, transfer).run();
          })
          .onComplete(result -> {
            transfers.remove(digest, transfer);
            transfer.length.tryFail("the download of " + digest + " ended before its size was known");
            transfer.done.handle(result);
          });
    });
  }

  /** A kept partial download, or a fresh upload when it is gone (expired, or after a restart). */
  private UploadHandle reopen(String repository, String uploadId) {
    try {
      UploadHandle upload = storage.openUpload(repository, uploadId);
      LOG.debug("resuming a kept download at {} bytes (upload {})", upload.size(), uploadId);
      return upload;
    } catch (RuntimeException gone) {
      return open(repository);
    }
  }

  private UploadHandle open(String repository) {
    var status = storage.startUpload(repository);
    return storage.openUpload(repository, status.id());
  }

  /** The whole blob's size from a 200 (Content-Length) or a 206 (Content-Range: bytes a-b/total); -1 if unsaid. */
  static long blobLength(HttpClientResponse response, long offset) {
    return blobLength(response.statusCode(), response.getHeader("Content-Range"),
        response.getHeader("Content-Length"), offset);
  }

  static long blobLength(int status, String range, String length, long offset) {
    if (status == 206) {
      int slash = range == null ? -1 : range.lastIndexOf('/');
      return slash < 0 ? -1 : size(range.substring(slash + 1));
    }
    long size = length == null ? -1 : size(length);
    return size < 0 || size > Long.MAX_VALUE - offset ? -1 : size + offset;
  }

  /** Digits only, else -1: a parent's {@code -7} or {@code +7} is no size (Long.parseLong takes both). */
  private static long size(String text) {
    String digits = text.trim();
    if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException tooLong) {
      return -1;
    }
  }

  private <T> Future<T> blocking(Callable<T> task) {
    return worker.executeBlocking(task, false);
  }

  /** One blob's download: the upload it writes to and how far it got. Lives on one event loop. */
  private final class Download {
    private final Context loop;
    private final String parentRepository;
    private final String localRepository;
    private final Digest digest;
    /** The descriptor's size, or -1. */
    private final long expected;
    private UploadHandle upload;
    private long received;
    private int stalled;
    /**
     * The most bytes the upload ever held: progress means passing it. Measured from each attempt's
     * start instead, a parent that ignores Range and always drops at the same byte would look like
     * progress on every restart from zero, for ever.
     */
    private long furthest;
    private final Promise<Result> result = Promise.promise();
    private final Transfer transfer;

    Download(Context loop, String parentRepository, String localRepository, Digest digest, long expected,
        UploadHandle upload, Transfer transfer) {
      this.expected = expected;
      this.transfer = transfer;
      this.loop = loop;
      this.parentRepository = parentRepository;
      this.localRepository = localRepository;
      this.digest = digest;
      this.upload = upload;
    }

    Future<Result> run() {
      loop.runOnContext(v -> request());
      return result.future();
    }

    private void request() {
      long offset = upload.size();
      DirectBody direct = DirectBody.expect(loop);
      getBlob.open(parentRepository, digest, offset, direct).onComplete(opened -> {
        if (opened.failed()) {
          direct.close();
          discard(opened.cause());
          return;
        }
        HttpClientResponse response = opened.result();
        boolean whole = response.statusCode() == 200;
        if (whole && offset > 0 || !whole && GetBlob.rangeStart(response) != offset) {
          // The parent ignored the range (or answered another one): start over from byte 0.
          LOG.debug("parent answered {} to a resume of {} at {}; restarting", response.statusCode(), digest, offset);
          restart().onComplete(r -> {
            if (r.failed()) {
              direct.close();
              ParentCaller.discard(response);
              discard(r.cause());
            } else if (whole) {
              stream(response, direct);
            } else if (++stalled > MAX_STALLED_RESUMES) {
              direct.close();
              ParentCaller.discard(response);
              discard(new ParentStatusException("GET", "blob " + digest, 206, null, "parent keeps answering another range"));
            } else {
              direct.close();
              ParentCaller.discard(response).onComplete(d -> request());
            }
          });
          return;
        }
        stream(response, direct);
      });
    }

    /** Cancels the upload and opens a fresh, empty one. */
    private Future<Void> restart() {
      UploadHandle old = upload;
      return blocking(() -> {
        old.close();
        storage.cancelUpload(localRepository, old.id());
        return open(localRepository);
      }).map(fresh -> {
        upload = fresh;
        transfer.uploadId = fresh.id();
        return null;
      });
    }

    /**
     * Streams the body to the upload: from {@code direct} (the socket's pooled buffers, no heap
     * copy) when the connection diverted it there, else from the Vert.x response.
     */
    private void stream(HttpClientResponse response, DirectBody direct) {
      long startSize = upload.size();
      long declared = blobLength(response, startSize);
      boolean diverted = direct.started();
      if (expected >= 0 && (declared >= 0 && declared != expected || startSize > expected)) {
        direct.close();
        ParentCaller.discard(response);
        discard(tooLong("the parent declares " + declared + " bytes for a blob whose descriptor gives "
            + expected + "; not downloaded"));
        return;
      }
      transfer.length.tryComplete(expected >= 0 ? expected : declared);
      long[] position = {startSize};
      ReadStream<Buffer> source;
      Promise<Void> body = Promise.promise();
      if (diverted) {
        source = direct;
        // Vert.x sees the head and an empty end: read it so the connection goes back to the pool.
        // Its failures (a reset, the idle timeout) are the body's too: the direct body hands on
        // the bytes it still holds first, then fails (source's exception handler), so bytes that
        // arrived while the writer held the body back are written, not fetched again.
        response.handler(ignored -> { });
        response.exceptionHandler(direct::fail);
        response.resume();
      } else {
        direct.close();
        source = response;
      }
      // Direct buffers are pooled: the writer releases each one once written.
      UploadWriteStream writer = new UploadWriteStream(loop, worker, upload, diverted);
      // Resumes the body when the queue has drained (registered once, before any pause).
      writer.drainHandler(v -> source.resume());
      source.handler(buffer -> {
        if (body.future().isComplete()) {
          // The response already failed (a dropped connection) and the resume reads from the
          // upload's size: bytes still queued in the dead response must not reach the upload.
          // They do arrive from Vert.x's response when a pause (bandwidth limit, back-pressure)
          // outlived the drop; a direct body hands on what it holds before it fails instead.
          release(buffer, diverted);
          return;
        }
        if (expected >= 0 && position[0] + buffer.length() > expected) {
          // More than the descriptor allows: stop reading, drop the connection, keep nothing.
          release(buffer, diverted);
          body.tryFail(tooLong("the parent sent more than the " + expected
              + " bytes the blob's descriptor gives; download stopped"));
          response.request().reset();
          return;
        }
        position[0] += buffer.length();
        received += buffer.length();
        counter.received(buffer.length());
        bandwidth.throttle(vertx, source, buffer.length());
        writer.write(buffer);
        if (writer.writeQueueFull()) {
          source.pause();
        }
      });
      source.exceptionHandler(body::tryFail);
      source.endHandler(v -> body.tryComplete());
      source.resume();
      body.future().onComplete(ended -> direct.close());
      // end(): every byte received so far is in the file (no fsync: commit does that).
      body.future().transform(ended -> writer.end().transform(flushed -> {
        if (flushed.failed()) {
          return Future.<Boolean>failedFuture(flushed.cause()); // the disk, not the network
        }
        return Future.succeededFuture(ended.succeeded());
      })).onComplete(done -> {
        if (done.failed()) {
          discard(done.cause());
        } else if (done.result()) {
          commit();
        } else {
          resumeAfterDrop(startSize, body.future().cause());
        }
      });
    }

    private static void release(Buffer buffer, boolean pooled) {
      if (pooled) {
        UploadWriteStream.releasePooled(buffer);
      }
    }

    private ParentStatusException tooLong(String detail) {
      return new ParentStatusException("GET", "/v2/" + parentRepository + "/blobs/" + digest, 200, null, detail);
    }

    private void resumeAfterDrop(long startSize, Throwable cause) {
      boolean progressed = upload.size() > Math.max(startSize, furthest);
      furthest = Math.max(furthest, upload.size());
      stalled = progressed ? 0 : stalled + 1;
      if (stalled > MAX_STALLED_RESUMES || !ParentCaller.isTransient(cause)) {
        discard(cause);
        return;
      }
      LOG.debug("download of {} dropped at {} bytes ({}); resuming", digest, upload.size(), cause.toString());
      request();
    }

    private void commit() {
      blocking(() -> {
        Digest actual = upload.digest(digest.algorithm());
        long size = upload.size();
        if (!actual.equals(digest)) {
          upload.close();
          storage.cancelUpload(localRepository, upload.id());
          throw new DigestMismatchException("blob of " + parentRepository, digest, actual, size);
        }
        storage.commitUpload(upload, digest);
        return size;
      }).onComplete(committed -> {
        if (committed.failed()) {
          discard(committed.cause());
          return;
        }
        counter.committed();
        result.complete(new Result(digest, committed.result(), received, false));
      });
    }

    /** Cancels the upload (nothing half-downloaded stays behind) and fails with {@code cause}. */
    private void discard(Throwable cause) {
      UploadHandle current = upload;
      if (cause instanceof ParentUnavailableException && current.size() > 0) {
        // The parent went away mid-blob: keep what arrived for the next attempt.
        blocking(() -> {
          current.close();
          return null;
        }).onComplete(closed -> {
          if (closed.succeeded()) {
            partial.put(localRepository + "@" + digest, current.id());
          }
          result.fail(cause);
        });
        return;
      }
      blocking(() -> {
        current.close();
        return storage.cancelUpload(localRepository, current.id());
      }).onComplete(cancelled -> {
        if (cancelled.failed()) {
          LOG.warn("could not cancel upload {} of {}: {}", current.id(), localRepository, cancelled.cause().toString());
        }
        result.fail(cause);
      });
    }
  }
}
