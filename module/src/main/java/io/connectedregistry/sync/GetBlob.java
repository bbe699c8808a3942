package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;

/**
 * {@code GET /v2/<name>/blobs/<digest>}, from {@code offset} on with {@code Range}. Hands back the
 * response unread and paused, so the body can be streamed to disk: see {@link BlobFetcher}.
 */
public final class GetBlob {
  private final ParentCaller caller;

  public GetBlob(ParentCaller caller) {
    this.caller = caller;
  }

  /**
   * A 200 (the whole blob: the parent may ignore {@code Range}) or a 206 (from {@code offset}).
   * Anything else fails with a {@link ParentStatusException}, 404 included.
   */
  public Future<HttpClientResponse> open(String repository, Digest digest, long offset) {
    return open(repository, digest, offset, null);
  }

  /** The same, its 200/206 body diverted to {@code direct} (see {@link DirectBody}); null = none. */
  Future<HttpClientResponse> open(String repository, Digest digest, long offset, DirectBody direct) {
    ParentRequest request = ParentRequest.of(HttpMethod.GET, "/v2/" + repository + "/blobs/" + digest,
        Scopes.pull(repository));
    if (direct != null) {
      request.header(DirectBody.HEADER, direct.id());
    }
    if (offset > 0) {
      request.header("Range", "bytes=" + offset + "-");
    }
    return caller.call(request, response -> {
      int status = response.statusCode();
      if (status == 200 || status == 206 && offset > 0) {
        return Future.succeededFuture(response);
      }
      return ParentCaller.failure(request, response);
    });
  }

  /** The first byte a 206 starts at ({@code Content-Range: bytes start-end/size}); -1 if unreadable. */
  public static long rangeStart(HttpClientResponse response) {
    return rangeStart(response.getHeader("Content-Range"));
  }

  static long rangeStart(String range) {
    if (range == null || !range.startsWith("bytes ")) {
      return -1;
    }
    int dash = range.indexOf('-');
    try {
      return dash < 0 ? -1 : Long.parseLong(range.substring("bytes ".length(), dash).trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
