package io.connectedregistry.api;

import io.connectedregistry.auth.Action;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.InvalidReferenceException;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.oci.RepositoryName;
import io.connectedregistry.storage.UploadHandle;
import io.connectedregistry.storage.UploadStatus;
import io.connectedregistry.storage.UploadWriteStream;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.function.Function;

/**
 * Blob uploads: {@code POST /v2/<name>/blobs/uploads/} (start, monolithic with {@code ?digest=},
 * cross-repository mount with {@code ?mount=&from=}), {@code PATCH} (a chunk), {@code PUT} (finish),
 * {@code GET} (status) and {@code DELETE} (cancel) on {@code /v2/<name>/blobs/uploads/<id>}.
 *
 * <p>Every handler that may receive a body pauses the request first thing: the body waits in the
 * socket until storage has opened the upload, then streams through {@link UploadWriteStream}.
 */
final class BlobUploadHandler {
  private final Storage storage;

  BlobUploadHandler(Storage storage) {
    this.storage = storage;
  }

  void start(RoutingContext ctx) {
    ctx.request().pause();
    String repository = Paths.repository(ctx);
    String mount = ctx.request().getParam("mount");
    String from = ctx.request().getParam("from");
    String digestParam = ctx.request().getParam("digest");
    if (mount != null) {
      Digest digest = Digest.parse(mount);
      String source = validNameOrNull(from);
      // Mounting reads the source repository: without content/read there, upload as usual
      // (the spec's fallback), so a mount never tells a caller what another repository holds.
      if (source != null
          && AuthHandler.principal(ctx).allowed(source).contains(Action.CONTENT_READ)) {
        storage.call(s -> s.mountBlob(repository, source, digest)).onSuccess(mounted -> {
          if (mounted) {
            ctx.request().resume();
            created(ctx, repository, digest);
          } else {
            startUpload(ctx, repository, null); // not mountable: the client uploads as usual
          }
        }).onFailure(ctx::fail);
        return;
      }
    }
    startUpload(ctx, repository, digestParam == null ? null : Digest.parse(digestParam));
  }

  private void startUpload(RoutingContext ctx, String repository, Digest digest) {
    storage.call(s -> s.startUpload(repository)).onSuccess(status -> {
      if (digest == null) {
        ctx.request().resume();
        accepted(ctx, status.repository(), status.id(), 0);
      } else {
        appendAndCommit(ctx, repository, status.id(), digest);
      }
    }).onFailure(ctx::fail);
  }

  void patch(RoutingContext ctx) {
    ctx.request().pause();
    String repository = Paths.repository(ctx);
    String id = ctx.pathParam("uuid");
    receiveInto(ctx, repository, id, upload -> Future.succeededFuture(upload.size()))
        .onSuccess(size -> accepted(ctx, repository, id, size))
        .onFailure(ctx::fail);
  }

  void finish(RoutingContext ctx) {
    ctx.request().pause();
    String repository = Paths.repository(ctx);
    String id = ctx.pathParam("uuid");
    String digestParam = ctx.request().getParam("digest");
    if (digestParam == null) {
      throw ErrorCode.DIGEST_INVALID.exception("PUT that completes an upload needs ?digest=");
    }
    appendAndCommit(ctx, repository, id, Digest.parse(digestParam));
  }

  /** Streams the (optional) body into the upload, then verifies and commits it: answers 201. */
  private void appendAndCommit(RoutingContext ctx, String repository, String id, Digest digest) {
    receiveInto(ctx, repository, id, upload -> storage.call(s -> s.commitUpload(upload, digest)))
        .onSuccess(size -> created(ctx, repository, digest))
        .onFailure(ctx::fail);
  }

  /**
   * Opens the upload, checks the chunk continues it, streams the body in, runs {@code then} and
   * releases the upload — before the answer goes out, since the client's next request may come at
   * once. Fails with RANGE_INVALID (nothing written) when the chunk does not continue the upload.
   * A body refused for lack of space (507) is rolled back whole: the upload is as the client last
   * saw it acknowledged, resumable from there, and the space is free again.
   *
   * <p>The upload its previous request left open is taken on the event loop; only otherwise (the
   * first request, after a restart, an evicted or closed handle) is it opened on a worker. After a
   * clean request it is parked open again, also on the event loop: a chunked push then costs no
   * worker round trip per PATCH besides the writes themselves.
   */
  private <T> Future<T> receiveInto(
      RoutingContext ctx, String repository, String id, Function<UploadHandle, Future<T>> then) {
    Optional<UploadHandle> parked = storage.takeParkedUpload(repository, id);
    Future<UploadHandle> opened = parked.isPresent()
        ? Future.succeededFuture(parked.get())
        : storage.call(s -> s.openUpload(repository, id));
    return opened.compose(upload -> {
      RuntimeException refused = rangeRefusal(ctx, upload);
      if (refused != null) {
        return Future.<T>failedFuture(refused).eventually(() -> release(upload, true));
      }
      // Parked only once its body stream ended cleanly: after a failure a write may still be
      // running on the worker, and closing (on a worker, as before) is what stops it.
      boolean[] streamEnded = {false};
      return receive(ctx, upload)
          .onSuccess(v -> streamEnded[0] = true)
          .recover(e -> rollBackIfOutOfSpace(upload, e))
          .compose(v -> then.apply(upload))
          .eventually(() -> release(upload, streamEnded[0]));
    });
  }

  private Future<Void> rollBackIfOutOfSpace(UploadHandle upload, Throwable failure) {
    if (!(failure instanceof RegistryException r && r.code() == ErrorCode.INSUFFICIENT_STORAGE)) {
      return Future.failedFuture(failure);
    }
    return storage.call(s -> {
      upload.rollBack();
      return null;
    }).transform(rolledBack -> Future.failedFuture(failure));
  }

  void status(RoutingContext ctx) {
    String repository = Paths.repository(ctx);
    String id = ctx.pathParam("uuid");
    storage.call(s -> s.uploadStatus(repository, id)).onSuccess(status -> {
      if (status.isEmpty()) {
        ctx.fail(unknown(repository, id));
        return;
      }
      UploadStatus st = status.get();
      uploadHeaders(ctx.response(), repository, id, st.size()).setStatusCode(204).end();
    }).onFailure(ctx::fail);
  }

  void cancel(RoutingContext ctx) {
    String repository = Paths.repository(ctx);
    String id = ctx.pathParam("uuid");
    storage.call(s -> s.cancelUpload(repository, id)).onSuccess(cancelled -> {
      if (!cancelled) {
        ctx.fail(unknown(repository, id));
        return;
      }
      ctx.response().setStatusCode(204).end();
    }).onFailure(ctx::fail);
  }

  /**
   * A chunk must start where the upload ends. Out of order (or malformed) is refused with 416 and
   * the current {@code Range}, and nothing is written. No {@code Content-Range} means "append".
   */
  private static RuntimeException rangeRefusal(RoutingContext ctx, UploadHandle upload) {
    String header = ctx.request().getHeader("Content-Range");
    if (header == null) {
      return null;
    }
    long[] range = ByteRange.parseContentRange(header);
    String length = ctx.request().getHeader("Content-Length");
    boolean lengthMismatch = range != null && length != null && !length.equals(String.valueOf(range[1] - range[0] + 1));
    if (range != null && range[0] == upload.startSize() && !lengthMismatch) {
      return null;
    }
    uploadHeaders(ctx.response(), upload.repository(), upload.id(), upload.startSize());
    return ErrorCode.RANGE_INVALID.exception("Content-Range " + header + " does not continue the upload at "
        + upload.startSize() + (lengthMismatch ? " or does not match Content-Length " + length : ""));
  }

  private Future<Void> receive(RoutingContext ctx, UploadHandle upload) {
    HttpServerRequest request = ctx.request();
    return request.pipeTo(new UploadWriteStream(ctx.vertx().getOrCreateContext(), storage.worker(), upload));
  }

  private Future<Void> release(UploadHandle upload, boolean quiescent) {
    if (upload.isClosed() || quiescent && upload.park()) {
      return Future.succeededFuture(); // closed: committed, nothing left to release
    }
    return storage.call(s -> {
      upload.close();
      return null;
    });
  }

  private static void created(RoutingContext ctx, String repository, Digest digest) {
    ctx.response()
        .setStatusCode(201)
        .putHeader("Location", Paths.blobUrl(repository, digest))
        .putHeader("Docker-Content-Digest", digest.toString())
        .putHeader("Content-Length", "0")
        .end();
  }

  private static void accepted(RoutingContext ctx, String repository, String id, long size) {
    uploadHeaders(ctx.response(), repository, id, size).setStatusCode(202).putHeader("Content-Length", "0").end();
  }

  private static HttpServerResponse uploadHeaders(HttpServerResponse response, String repository, String id, long size) {
    // distribution's convention: "0-0" for an empty upload, else the inclusive last offset.
    return response
        .putHeader("Location", Paths.uploadUrl(repository, id))
        .putHeader("Range", "0-" + Math.max(0, size - 1))
        .putHeader("Docker-Upload-UUID", id);
  }

  private static RuntimeException unknown(String repository, String id) {
    return ErrorCode.BLOB_UPLOAD_UNKNOWN.exception("upload " + id + " is not in progress in " + repository);
  }

  private static String validNameOrNull(String name) {
    try {
      return name == null ? null : RepositoryName.of(name).value();
    } catch (InvalidReferenceException e) {
      return null;
    }
  }
}
