package io.connectedregistry.api;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.storage.ReferrerDescriptor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v2/<name>/referrers/<digest>[?artifactType=]}: an image index of the manifests whose
 * {@code subject} is that digest. Never 404: an unknown digest has an empty index.
 */
final class ReferrersHandler {
  private final Storage storage;

  ReferrersHandler(Storage storage) {
    this.storage = storage;
  }

  void list(RoutingContext ctx) {
    String repository = Paths.repository(ctx);
    Digest subject = Paths.digest(ctx);
    String artifactType = ctx.request().getParam("artifactType");
    storage.call(s -> s.referrers(repository, subject, artifactType)).onSuccess(referrers -> {
      JsonArray manifests = new JsonArray();
      for (ReferrerDescriptor r : referrers) {
        JsonObject d = new JsonObject()
            .put("mediaType", r.mediaType())
            .put("digest", r.digest().toString())
            .put("size", r.size());
        if (r.artifactType() != null) {
          d.put("artifactType", r.artifactType());
        }
        if (!r.annotations().isEmpty()) {
          d.put("annotations", new JsonObject(new java.util.LinkedHashMap<>(r.annotations())));
        }
        manifests.add(d);
      }
      if (artifactType != null) {
        ctx.response().putHeader("OCI-Filters-Applied", "artifactType");
      }
      JsonObject index = new JsonObject()
          .put("schemaVersion", 2)
          .put("mediaType", MediaTypes.OCI_INDEX)
          .put("manifests", manifests);
      ctx.response().putHeader("Content-Type", MediaTypes.OCI_INDEX).end(index.encode());
    }).onFailure(ctx::fail);
  }
}
