package io.connectedregistry.sync;

import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
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
  public Future<Optional<Listing<Descriptor>>> list(String repository, Digest subject) {
    return PagedListing.all(caller, "/v2/" + repository + "/referrers/" + subject, Scopes.pull(repository),
        "manifests", ListReferrers::descriptor);
  }

  /**
   * One entry of the index.
   *
   * @throws IllegalArgumentException for an entry that is not a descriptor: not an object, a
   *     field of the wrong type, a digest off the grammar
   */
  static Descriptor descriptor(Object element) {
    if (!(element instanceof JsonObject m)) {
      throw new IllegalArgumentException("a referrer that is not a descriptor");
    }
    try {
      Map<String, String> annotations = new HashMap<>();
      JsonObject a = m.getJsonObject("annotations");
      if (a != null) {
        a.forEach(e -> annotations.put(e.getKey(), String.valueOf(e.getValue())));
      }
      Long size = m.getLong("size", -1L); // -1 when absent; null when the parent wrote null
      if (size == null) {
        throw new IllegalArgumentException("a referrer whose size is null");
      }
      return new Descriptor(m.getString("mediaType"), Digest.parse(m.getString("digest")), size,
          m.getString("artifactType"), annotations);
    } catch (ClassCastException wrongType) {
      // What Vert.x's typed getters throw for a value of the wrong shape ({"size":"x"}).
      throw new IllegalArgumentException("a referrer whose fields are not of a descriptor's types");
    }
  }
}
