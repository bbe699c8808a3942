package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;

/**
 * {@code HEAD /v2/<name>/blobs/<digest>}: whether the parent's repository holds a blob, under the
 * sync token's rights, and its size. On-demand pull-through asks it before serving a blob that the
 * local repository does not hold, so a read never reaches content that only another repository
 * has; the size it gives bounds the download that follows.
 */
final class HeadBlob {
  /** What the parent said: no such blob, or held with this size (-1 when it gave none usable). */
  record AtParent(boolean exists, long size) {
    static final AtParent MISSING = new AtParent(false, -1);
  }

  private final ParentCaller caller;

  HeadBlob(ParentCaller caller) {
    this.caller = caller;
  }

  /** Held on a 200, missing on a 404; anything else fails with a {@link ParentStatusException}. */
  Future<AtParent> check(String repository, Digest digest) {
    ParentRequest request = ParentRequest.of(HttpMethod.HEAD, "/v2/" + repository + "/blobs/" + digest,
        Scopes.pull(repository));
    return caller.call(request, response -> {
      int status = response.statusCode();
      if (status == 200 || status == 404) {
        long size = status == 200 ? size(response.getHeader("Content-Length")) : -1;
        return ParentCaller.discard(response)
            .map(v -> status == 200 ? new AtParent(true, size) : AtParent.MISSING);
      }
      return ParentCaller.failure(request, response);
    });
  }

  /** A Content-Length of digits only (a signed or overlong one is no size), else -1. */
  static long size(String header) {
    if (header == null || header.isEmpty() || header.length() > 18
        || !header.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    return Long.parseLong(header);
  }
}
