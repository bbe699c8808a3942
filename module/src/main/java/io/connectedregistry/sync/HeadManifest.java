package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Reference;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import java.util.Optional;

/** {@code HEAD /v2/<name>/manifests/<ref>}: the digest a tag points at, without the bytes. */
public final class HeadManifest {
  private final ParentCaller caller;

  public HeadManifest(ParentCaller caller) {
    this.caller = caller;
  }

  /** Empty when the parent has no such manifest. */
  public Future<Optional<ManifestInfo>> head(String repository, Reference reference) {
    ParentRequest request = ManifestRequests.request(HttpMethod.HEAD, repository, reference);
    return caller.call(request, response -> {
      if (response.statusCode() == 404) {
        return ParentCaller.discard(response).map(v -> Optional.<ManifestInfo>empty());
      }
      if (response.statusCode() != 200) {
        return ParentCaller.failure(request, response);
      }
      ManifestInfo info = info(response);
      return ParentCaller.discard(response).map(v -> Optional.of(info));
    });
  }

  private static ManifestInfo info(HttpClientResponse response) {
    String digest = response.getHeader("Docker-Content-Digest");
    return new ManifestInfo(
        digest == null ? null : Digest.parse(digest), // a digest off the grammar fails the call, clearly
        response.getHeader("Content-Type"),
        BoundedBody.declaredLength(response));
  }
}
