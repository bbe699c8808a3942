package io.connectedregistry.sync;

import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /v2/<name>/referrers/<digest>}: the manifests whose subject is {@code digest}
 * (signatures, SBOMs). Registries without the referrers API (distribution 2.8 among them) answer
 * 404; that is reported as empty, not as a failure, so sync falls back to the tag schema.
 */
public final class ListReferrers {
  private final ParentCaller caller;

  public ListReferrers(ParentCaller caller) {
    this.caller = caller;
  }

  /** Empty when the parent has no referrers API; otherwise the descriptors (maybe none). */
  public Future<Optional<List<Descriptor>>> list(String repository, Digest subject) {
    return PagedListing.all(caller, "/v2/" + repository + "/referrers/" + subject, Scopes.pull(repository),
        ListReferrers::descriptors);
  }

  /**
   * The descriptors of a referrers index as the parent sent it.
   *
   * @throws IllegalArgumentException when it is not one: a field of the wrong type, an entry that
   *     is not an object, a digest that is not one
   */
  static List<Descriptor> descriptors(JsonObject index) {
    try {
      List<Descriptor> out = new ArrayList<>();
      JsonArray manifests = index.getJsonArray("manifests");
      if (manifests == null) {
        return out;
      }
      for (int i = 0; i < manifests.size(); i++) {
        JsonObject m = manifests.getJsonObject(i);
        if (m == null) {
          throw new IllegalArgumentException("the parent's referrers are malformed: manifests[" + i + "] is null");
        }
        Map<String, String> annotations = new HashMap<>();
        JsonObject a = m.getJsonObject("annotations");
        if (a != null) {
          a.forEach(e -> annotations.put(e.getKey(), String.valueOf(e.getValue())));
        }
        out.add(new Descriptor(m.getString("mediaType"), Digest.parse(m.getString("digest")),
            m.getLong("size", -1L), m.getString("artifactType"), annotations));
      }
      return out;
    } catch (ClassCastException wrongType) {
      // What Vert.x's typed getters throw for a value of the wrong shape.
      throw new IllegalArgumentException("the parent's referrers are malformed: " + wrongType.getMessage());
    }
  }
}
