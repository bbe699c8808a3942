package io.connectedregistry.api;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.RepositoryName;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Reads and validates the parts of a request path; builds the URLs the API hands out. */
final class Paths {
  private Paths() {}

  private static final String REPOSITORY = "registry.repository";

  /** The route's {@code name}, checked against the grammar once per request (auth and handler both ask). */
  static String repository(RoutingContext ctx) {
    String checked = ctx.get(REPOSITORY);
    if (checked == null) {
      checked = RepositoryName.of(ctx.pathParam("name")).value();
      ctx.put(REPOSITORY, checked);
    }
    return checked;
  }

  static Digest digest(RoutingContext ctx) {
    return Digest.parse(ctx.pathParam("digest"));
  }

  static String blobUrl(String repository, Digest digest) {
    return "/v2/" + repository + "/blobs/" + digest;
  }

  static String uploadUrl(String repository, String uploadId) {
    return "/v2/" + repository + "/blobs/uploads/" + uploadId;
  }

  static String manifestUrl(String repository, String reference) {
    return "/v2/" + repository + "/manifests/" + reference;
  }

  static String query(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
