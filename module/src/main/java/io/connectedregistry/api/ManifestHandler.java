package io.connectedregistry.api;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.InvalidReferenceException;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.MediaTypeSyntax;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.StoredManifest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;

/** {@code GET|HEAD|PUT|DELETE /v2/<name>/manifests/<reference>}: stored and served byte for byte. */
final class ManifestHandler {
  /** The spec asks registries to accept at least 4 MiB. */
  static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

  private final Storage storage;
  private final PullThrough pullThrough;

  ManifestHandler(Storage storage, PullThrough pullThrough) {
    this.storage = storage;
    this.pullThrough = pullThrough;
  }

  void get(RoutingContext ctx) {
    String repository = Paths.repository(ctx);
    Reference reference = existingReference(ctx, repository);
    if (reference == null) {
      return;
    }
    Optional<StoredManifest> cached = storage.cachedManifest(repository, reference);
    if (cached.isPresent()) {
      serve(ctx, reference, cached.get());
      return;
    }
    storage.call(s -> s.manifest(repository, reference)).onSuccess(found -> {
      if (found.isPresent()) {
        serve(ctx, reference, found.get());
        return;
      }
      RuntimeException unknown = ErrorCode.MANIFEST_UNKNOWN.exception(reference + " in " + repository);
      // Pull-through: the parent's exact bytes now; the image is stored in the background.
      pullThrough.manifest(repository, reference, unknown)
          .onSuccess(parent -> serve(ctx, reference,
              new StoredManifest(parent.digest(), parent.mediaType(), parent.bytes(), null)))
          .onFailure(ctx::fail);
    }).onFailure(ctx::fail);
  }

  /**
   * The reference of a GET, HEAD or DELETE, or null (the request answered 404) when it is no tag
   * and no digest: such a manifest cannot exist, so it is not found (the conformance suite asks
   * this of {@code .INVALID_MANIFEST_NAME}). A PUT still refuses it with 400 TAG_INVALID.
   */
  private static Reference existingReference(RoutingContext ctx, String repository) {
    String text = ctx.pathParam("reference");
    try {
      return Reference.parse(text);
    } catch (InvalidReferenceException e) {
      ctx.fail(ErrorCode.MANIFEST_UNKNOWN.exception(e.getMessage() + " in " + repository));
      return null;
    }
  }

  private static void serve(RoutingContext ctx, Reference reference, StoredManifest manifest) {
    if (!MediaTypeSyntax.isTypeAndSubtype(manifest.mediaType())) {
      // Stored before media types were checked, or sent so by a parent: never echoed as a header.
      ctx.fail(ErrorCode.MANIFEST_UNKNOWN.exception(reference + " has an invalid media type; push it again"));
      return;
    }
    List<String> accept = ctx.request().headers().getAll("Accept");
    if (!Accept.allows(accept, manifest.mediaType())) {
      ctx.fail(ErrorCode.MANIFEST_UNKNOWN.exception(reference + " is a " + manifest.mediaType()
          + ", which the request's Accept header does not allow"));
      return;
    }
    HttpServerResponse response = ctx.response()
        .putHeader("Content-Type", manifest.mediaType())
        .putHeader("Docker-Content-Digest", manifest.digest().toString())
        .putHeader("ETag", "\"" + manifest.digest() + "\"")
        .putHeader("Content-Length", String.valueOf(manifest.bytes().length));
    if (ctx.request().method() == HttpMethod.HEAD) {
      response.end();
    } else {
      response.end(Buffer.buffer(manifest.bytes()));
    }
  }

  void put(RoutingContext ctx) {
    ctx.request().pause();
    String repository = Paths.repository(ctx);
    Reference reference = Reference.parse(ctx.pathParam("reference"));
    String contentType = ctx.request().getHeader("Content-Type");
    BodyReader.read(ctx.request(), MAX_MANIFEST_BYTES)
        .compose(body -> storage.call(s -> {
          // Parsing and hashing up to 4 MiB: on the worker, like all other heavy lifting.
          String algorithm = reference.isDigest() ? reference.digest().algorithm() : "sha256";
          Manifest manifest = ManifestParser.parse(body.getBytes(), contentType, algorithm);
          if (reference.isDigest() && !reference.digest().equals(manifest.digest())) {
            throw ErrorCode.DIGEST_INVALID.exception(
                "manifest content has digest " + manifest.digest() + ", not " + reference.digest());
          }
          s.putManifest(repository, manifest, reference.tag());
          return manifest;
        }))
        .onSuccess(manifest -> {
          Digest digest = manifest.digest();
          HttpServerResponse response = ctx.response()
              .setStatusCode(201)
              .putHeader("Location", Paths.manifestUrl(repository, digest.toString()))
              .putHeader("Docker-Content-Digest", digest.toString())
              .putHeader("Content-Length", "0");
          if (manifest.subject() != null) {
            response.putHeader("OCI-Subject", manifest.subject().digest().toString());
          }
          response.end();
        })
        .onFailure(ctx::fail);
  }

  void delete(RoutingContext ctx) {
    String repository = Paths.repository(ctx);
    Reference reference = existingReference(ctx, repository);
    if (reference == null) {
      return;
    }
    storage.call(s -> s.deleteManifest(repository, reference)).onSuccess(deleted -> {
      if (!deleted) {
        ctx.fail(ErrorCode.MANIFEST_UNKNOWN.exception(reference + " in " + repository));
        return;
      }
      ctx.response().setStatusCode(202).putHeader("Content-Length", "0").end();
    }).onFailure(ctx::fail);
  }
}
