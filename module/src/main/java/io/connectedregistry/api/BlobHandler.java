package io.connectedregistry.api;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.storage.RegistryStorage.OpenBlob;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;

/** {@code GET|HEAD|DELETE /v2/<name>/blobs/<digest>}; GET honours a single {@code Range}. */
final class BlobHandler {
  private final Storage storage;

  private final PullThrough pullThrough;

  BlobHandler(Storage storage, PullThrough pullThrough) {
    this.storage = storage;
    this.pullThrough = pullThrough;
  }

  void get(RoutingContext ctx) {
    String repository = Paths.repository(ctx);
    Digest digest = Paths.digest(ctx);
    if (ctx.request().method() == HttpMethod.HEAD) {
      storage.call(s -> s.blobSize(repository, digest)).onSuccess(size -> {
        if (size.isPresent()) {
          headers(ctx.response(), digest).putHeader("Content-Length", String.valueOf(size.get())).end();
          return;
        }
        pullThrough.blob(repository, digest, unknown(repository, digest))
            .compose(followed -> followed.isPresent() ? followed.get().transfer().length()
                : storage.call(s -> s.blobSize(repository, digest).orElse(-1L)))
            .onSuccess(length -> {
              if (length < 0) {
                ctx.fail(unknown(repository, digest));
              } else {
                headers(ctx.response(), digest).putHeader("Content-Length", String.valueOf(length)).end();
              }
            }).onFailure(ctx::fail);
      }).onFailure(ctx::fail);
      return;
    }
    storage.call(s -> s.openBlob(repository, digest)).onSuccess(blob -> send(ctx, digest, blob)).onFailure(e -> {
      if (!(e instanceof RegistryException missing && missing.code() == ErrorCode.BLOB_UNKNOWN)) {
        ctx.fail(e);
        return;
      }
      pullThrough.blob(repository, digest, missing).onSuccess(followed -> {
        if (followed.isPresent() && ctx.request().getHeader("Range") == null) {
          // Still downloading: stream it as it arrives rather than make the client wait.
          FollowingBlobSender.send(ctx, storage, followed.get(), digest,
              () -> storage.call(s -> s.openBlob(repository, digest))
                  .onSuccess(blob -> send(ctx, digest, blob)).onFailure(ctx::fail));
          return;
        }
        (followed.isPresent() ? followed.get().stored() : Future.<Void>succeededFuture())
            .compose(v -> storage.call(s -> s.openBlob(repository, digest)))
            .onSuccess(blob -> send(ctx, digest, blob)).onFailure(ctx::fail);
      }).onFailure(ctx::fail);
    });
  }

  private static RuntimeException unknown(String repository, Digest digest) {
    return ErrorCode.BLOB_UNKNOWN.exception(digest + " in " + repository);
  }

  static void send(RoutingContext ctx, Digest digest, OpenBlob blob) {
    HttpServerResponse response = headers(ctx.response(), digest);
    long offset = 0;
    long length = blob.size();
    String range = ctx.request().getHeader("Range");
    if (range != null) {
      long[] r = ByteRange.parse(range, blob.size());
      if (r == null) {
        close(blob);
        response.putHeader("Content-Range", "bytes */" + blob.size());
        ctx.fail(ErrorCode.RANGE_INVALID.exception("cannot serve " + range + " of " + blob.size() + " bytes"));
        return;
      }
      offset = r[0];
      length = r[1] - r[0] + 1;
      response.setStatusCode(206)
          .putHeader("Content-Range", "bytes " + r[0] + "-" + r[1] + "/" + blob.size());
    }
    response.sendFile(blob.channel(), offset, length).onComplete(done -> close(blob));
  }

  static HttpServerResponse headers(HttpServerResponse response, Digest digest) {
    return response
        .putHeader("Content-Type", MediaTypes.OCTET_STREAM)
        .putHeader("Docker-Content-Digest", digest.toString())
        .putHeader("ETag", "\"" + digest + "\"")
        .putHeader("Accept-Ranges", "bytes")
        .putHeader("Cache-Control", "max-age=31536000");
  }

  private static void close(OpenBlob blob) {
    try {
      blob.channel().close();
    } catch (IOException ignored) {
      // read-only channel: nothing was lost
    }
  }

  void delete(RoutingContext ctx) {
    String repository = Paths.repository(ctx);
    Digest digest = Paths.digest(ctx);
    storage.call(s -> s.deleteBlob(repository, digest)).onSuccess(deleted -> {
      if (!deleted) {
        ctx.fail(ErrorCode.BLOB_UNKNOWN.exception(digest + " in " + repository));
        return;
      }
      ctx.response().setStatusCode(202).putHeader("Content-Length", "0").end();
    }).onFailure(ctx::fail);
  }
}
