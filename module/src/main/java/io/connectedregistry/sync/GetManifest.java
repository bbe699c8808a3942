package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Reference;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import java.util.Optional;

/**
 * {@code GET /v2/<name>/manifests/<ref>}: the exact bytes, their media type and digest. The digest
 * is computed from the bytes and must agree with the one asked for and with
 * {@code Docker-Content-Digest}, so a manifest that changed in transit is never stored.
 */
public final class GetManifest {
  private final ParentCaller caller;

  public GetManifest(ParentCaller caller) {
    this.caller = caller;
  }

  /** Empty when the parent has no such manifest. */
  public Future<Optional<ParentManifest>> get(String repository, Reference reference) {
    ParentRequest request = ManifestRequests.request(HttpMethod.GET, repository, reference);
    return caller.call(request, response -> {
      if (response.statusCode() == 404) {
        return ParentCaller.discard(response).map(v -> Optional.<ParentManifest>empty());
      }
      if (response.statusCode() != 200) {
        return ParentCaller.failure(request, response);
      }
      String length = response.getHeader("Content-Length");
      if (length != null && Long.parseLong(length) > ManifestRequests.MAX_BYTES) {
        return ParentCaller.discard(response).compose(v -> Future.failedFuture(new ParentStatusException(
            "GET", request.loggable(), 200, "MANIFEST_TOO_LARGE", length + " bytes")));
      }
      String mediaType = response.getHeader("Content-Type");
      String claimed = response.getHeader("Docker-Content-Digest");
      return ParentCaller.body(response).map(body -> {
        byte[] bytes = body.getBytes();
        if (bytes.length > ManifestRequests.MAX_BYTES) {
          throw new ParentStatusException("GET", request.loggable(), 200, "MANIFEST_TOO_LARGE", bytes.length + " bytes");
        }
        String what = "manifest " + reference + " of " + repository;
        Digest expected = reference.isDigest() ? reference.digest()
            : claimed != null ? Digest.parse(claimed) : null;
        Digest actual = Digest.of(expected == null ? "sha256" : expected.algorithm(), bytes);
        if (expected != null && !expected.equals(actual)) {
          throw new DigestMismatchException(what, expected, actual, bytes.length);
        }
        if (claimed != null && !Digest.parse(claimed).equals(Digest.of(Digest.parse(claimed).algorithm(), bytes))) {
          throw new DigestMismatchException(what, Digest.parse(claimed), actual, bytes.length);
        }
        return Optional.of(new ParentManifest(bytes, mediaType, actual));
      });
    });
  }
}
