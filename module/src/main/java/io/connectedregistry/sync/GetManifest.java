package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.InvalidReferenceException;
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
      String mediaType = response.getHeader("Content-Type");
      Digest claimed;
      try {
        String header = response.getHeader("Docker-Content-Digest");
        claimed = header == null ? null : Digest.parse(header);
      } catch (InvalidReferenceException e) {
        return ParentCaller.discard(response).compose(v -> Future.failedFuture(new ParentStatusException(
            "GET", request.loggable(), 200, null, "Docker-Content-Digest: " + e.getMessage())));
      }
      // Checked while reading: a chunked body has no Content-Length to refuse up front.
      return ParentCaller.body(request, response, ManifestRequests.MAX_BYTES, "MANIFEST_TOO_LARGE").map(body -> {
        byte[] bytes = body.getBytes();
        String what = "manifest " + reference + " of " + repository;
        Digest expected = reference.isDigest() ? reference.digest() : claimed;
        Digest actual = Digest.of(expected == null ? "sha256" : expected.algorithm(), bytes);
        if (expected != null && !expected.equals(actual)) {
          throw new DigestMismatchException(what, expected, actual, bytes.length);
        }
        if (claimed != null && !claimed.equals(Digest.of(claimed.algorithm(), bytes))) {
          throw new DigestMismatchException(what, claimed, actual, bytes.length);
        }
        return Optional.of(new ParentManifest(bytes, mediaType, actual));
      });
    });
  }
}
