package io.connectedregistry.sync;

import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.oci.Reference;
import io.vertx.core.http.HttpMethod;

/** What HEAD and GET of a manifest share: the target and the Accept header. */
final class ManifestRequests {
  /** Every manifest type we can store, then anything: a parent must not hide content from sync. */
  static final String ACCEPT = String.join(", ",
      MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST,
      MediaTypes.DOCKER_MANIFEST_LIST, "*/*;q=0.1");

  /** Manifests larger than this are refused, as the local API refuses them (413). */
  static final long MAX_BYTES = 4L * 1024 * 1024;

  private ManifestRequests() {}

  static ParentRequest request(HttpMethod method, String repository, Reference reference) {
    return ParentRequest.of(method, "/v2/" + repository + "/manifests/" + reference, Scopes.pull(repository))
        .header("Accept", ACCEPT);
  }
}
