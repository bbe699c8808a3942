package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.body;
import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.errorWithStatusIn;
import static io.connectedregistry.e2e.support.Expect.header;
import static io.connectedregistry.e2e.support.Expect.mediaType;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.Oci.Blob;
import io.connectedregistry.e2e.support.Oci.Manifest;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Manifest endpoints: PUT/GET/HEAD/DELETE by tag and digest, byte-exact storage, media types and
 * Accept negotiation, reference checks (MANIFEST_BLOB_UNKNOWN), validation of JSON, names and
 * tags, the 4 MiB limit, and that deleting a manifest removes its tags.
 */
class ManifestApiTest {

  private static final int FOUR_MIB = 4 * 1024 * 1024;
  private static final String ACCEPT_ALL_MANIFESTS = String.join(", ", Oci.IMAGE_MANIFEST, Oci.IMAGE_INDEX,
      Oci.DOCKER_MANIFEST, Oci.DOCKER_MANIFEST_LIST);
  private static final AtomicInteger SEED = new AtomicInteger(5000);
  private static RegistryProcess registry;
  private static RegistryClient client;

  @BeforeAll
  static void startRegistry() {
    registry = RegistryProcess.startFresh("manifest-api");
    client = new RegistryClient(registry);
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  private static String repo(String name) {
    return "manifests/" + name + "-" + SEED.incrementAndGet();
  }

  /** Pushes a config and one layer into {@code repo} and returns them. */
  private static Blob[] pushBlobs(String repo) {
    int seed = SEED.incrementAndGet();
    Blob config = Oci.config(repo + "/" + seed);
    Blob layer = Oci.layer(seed, 2048);
    client.pushBlob(repo, config.data());
    client.pushBlob(repo, layer.data());
    return new Blob[] {config, layer};
  }

  /** An image manifest over freshly pushed blobs in {@code repo} (the manifest itself not pushed). */
  private static Manifest newImage(String repo) {
    Blob[] b = pushBlobs(repo);
    return Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(b[0], b[1]));
  }

  // ------------------------------------------------------------------------------------------
  // routing: one route per path shape, whatever the repository is called

  @Test
  void repositoriesNamedLikeTheApiPathsAreRoutedByTheLastSegmentsOfThePath() {
    // names that end in the API's own path words: a shape must never take another's request
    for (String name : List.of("blobs", "manifests", "blobs/uploads", "tags", "referrers")) {
      String repo = repo("route") + "/" + name;
      Manifest image = newImage(repo);
      status(client.put("/v2/" + repo + "/manifests/v1", image.bytes(), "Content-Type", image.mediaType()), 201);
      body(client.get("/v2/" + repo + "/manifests/v1", "Accept", image.mediaType()), image.bytes());
      status(client.head("/v2/" + repo + "/manifests/" + image.digest(), "Accept", image.mediaType()), 200);
      Blob layer = Oci.layer(SEED.incrementAndGet(), 512);
      // POST without the trailing slash: "uploads" would also read as a blob digest
      Response start = status(client.post("/v2/" + repo + "/blobs/uploads", new byte[0]), 202);
      status(client.put(RegistryClient.withQuery(start.location(), "digest", layer.digest()), layer.data(),
          "Content-Type", "application/octet-stream"), 201);
      body(client.get("/v2/" + repo + "/blobs/" + layer.digest()), layer.data());
      assertEquals("v1", client.get("/v2/" + repo + "/tags/list").json().get("tags").get(0).asText());
      status(client.get("/v2/" + repo + "/referrers/" + image.digest()), 200);
      // a method a shape does not serve is not found, as before
      status(client.post("/v2/" + repo + "/manifests/v1", new byte[0]), 404);
      status(client.delete("/v2/" + repo + "/manifests/" + image.digest()), 202);
      error(client.get("/v2/" + repo + "/manifests/v1", "Accept", image.mediaType()), 404, "MANIFEST_UNKNOWN");
    }
  }

  // ------------------------------------------------------------------------------------------
  // push and pull

  @Test
  void aManifestPushedByTagIsServedByteExactByTagAndByDigest() {
    String repo = repo("exact");
    Blob[] b = pushBlobs(repo);
    // unusual spacing, key order and a trailing newline: a registry that re-serialises changes the digest
    String json = "{\n  \"schemaVersion\" :  2,\n\t\"mediaType\": \"" + Oci.IMAGE_MANIFEST + "\",\n"
        + "  \"layers\" : [ {\"size\": " + b[1].size() + ", \"digest\": \"" + b[1].digest()
        + "\", \"mediaType\": \"" + b[1].mediaType() + "\"} ],\n"
        + "  \"config\": {\"mediaType\":\"" + b[0].mediaType() + "\",\"size\":" + b[0].size()
        + ",\"digest\":\"" + b[0].digest() + "\"},\n"
        + "  \"annotations\": {\"z.last\": \"1\", \"a.first\": \"\\u00e9t\\u00e9\"}\n}\n";
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    String digest = Digests.sha256(bytes);

    Response put = client.put("/v2/" + repo + "/manifests/v1", bytes, "Content-Type", Oci.IMAGE_MANIFEST);

    status(put, 201);
    header(put, "Docker-Content-Digest", digest);
    body(client.get(put.location().toString(), "Accept", Oci.IMAGE_MANIFEST), bytes);
    for (String ref : List.of("v1", digest)) {
      Response get = body(client.get("/v2/" + repo + "/manifests/" + ref, "Accept", Oci.IMAGE_MANIFEST), bytes);
      assertEquals(Oci.IMAGE_MANIFEST, mediaType(get), () -> "Content-Type: " + get);
      header(get, "Docker-Content-Digest", digest);

      Response head = status(client.head("/v2/" + repo + "/manifests/" + ref, "Accept", Oci.IMAGE_MANIFEST), 200);
      header(head, "Docker-Content-Digest", digest);
      header(head, "Content-Length", Integer.toString(bytes.length));
      assertEquals(Oci.IMAGE_MANIFEST, mediaType(head), () -> "Content-Type: " + head);
      assertEquals(0, head.body().length);
    }
  }

  @Test
  void aManifestPushedByDigestIsServedByDigestWithoutCreatingATag() {
    String repo = repo("by-digest");
    Manifest m = newImage(repo);
    client.pushManifest(repo, "keep", m.mediaType(), newImage(repo).bytes());

    Response put = client.put("/v2/" + repo + "/manifests/" + m.digest(), m.bytes(), "Content-Type", m.mediaType());

    status(put, 201);
    header(put, "Docker-Content-Digest", m.digest());
    body(client.get("/v2/" + repo + "/manifests/" + m.digest(), "Accept", Oci.IMAGE_MANIFEST), m.bytes());
    JsonNode tags = status(client.get("/v2/" + repo + "/tags/list"), 200).json().path("tags");
    assertEquals(List.of("keep"), strings(tags), "pushing by digest must not add a tag");
  }

  @Test
  void aManifestPushedUnderADigestThatDoesNotMatchItsBytesIsRefused() {
    String repo = repo("wrong-digest");
    Manifest m = newImage(repo);
    String wrong = Digests.sha256("something else".getBytes(StandardCharsets.UTF_8));

    Response put = client.put("/v2/" + repo + "/manifests/" + wrong, m.bytes(), "Content-Type", m.mediaType());

    errorWithStatusIn(put, List.of(400), "DIGEST_INVALID", "MANIFEST_INVALID");
    status(client.head("/v2/" + repo + "/manifests/" + wrong), 404);
    status(client.head("/v2/" + repo + "/manifests/" + m.digest()), 404);
  }

  @Test
  void pushingAnotherManifestUnderATagMovesTheTagAndKeepsTheOldManifestByDigest() {
    String repo = repo("retag");
    Manifest first = newImage(repo);
    Manifest second = newImage(repo);
    client.pushManifest(repo, "latest", first.mediaType(), first.bytes());

    client.pushManifest(repo, "latest", second.mediaType(), second.bytes());

    body(client.get("/v2/" + repo + "/manifests/latest", "Accept", Oci.IMAGE_MANIFEST), second.bytes());
    body(client.get("/v2/" + repo + "/manifests/" + first.digest(), "Accept", Oci.IMAGE_MANIFEST), first.bytes());
  }

  @Test
  void everyManifestKindIsStoredAndServedWithItsOwnMediaType() {
    String repo = repo("kinds");
    Manifest oci = newImage(repo);
    client.pushManifest(repo, "oci", oci.mediaType(), oci.bytes());

    Manifest index = Oci.manifest(Oci.IMAGE_INDEX, Oci.imageIndex(oci));

    int seed = SEED.incrementAndGet();
    Blob dockerConfig = Blob.of(Oci.DOCKER_CONFIG,
        ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":" + seed + "}").getBytes(StandardCharsets.UTF_8));
    Blob dockerLayer = Blob.of(Oci.DOCKER_LAYER, Digests.randomBytes(seed, 1500));
    client.pushBlob(repo, dockerConfig.data());
    client.pushBlob(repo, dockerLayer.data());
    ObjectNode d = Oci.imageManifest(dockerConfig, dockerLayer);
    d.put("mediaType", Oci.DOCKER_MANIFEST);
    Manifest docker = Oci.manifest(Oci.DOCKER_MANIFEST, d);
    client.pushManifest(repo, "docker", docker.mediaType(), docker.bytes());

    ObjectNode l = Oci.imageIndex(docker);
    l.put("mediaType", Oci.DOCKER_MANIFEST_LIST);
    Manifest dockerList = Oci.manifest(Oci.DOCKER_MANIFEST_LIST, l);

    Blob payload = Blob.of("application/vnd.example.payload", Digests.randomBytes(seed + 1, 300));
    Blob artifactConfig = Blob.of("application/vnd.example.config.v1+json",
        "{\"kind\":\"example\"}".getBytes(StandardCharsets.UTF_8));
    client.pushBlob(repo, payload.data());
    client.pushBlob(repo, artifactConfig.data());
    ObjectNode a = Oci.imageManifest(artifactConfig, payload);
    a.put("artifactType", "application/vnd.example.artifact");
    Manifest artifact = Oci.manifest(Oci.IMAGE_MANIFEST, a);

    Map<String, Manifest> byTag = new LinkedHashMap<>();
    byTag.put("oci", oci);
    byTag.put("index", index);
    byTag.put("docker", docker);
    byTag.put("docker-list", dockerList);
    byTag.put("artifact", artifact);
    for (String tag : List.of("index", "docker-list", "artifact")) {
      client.pushManifest(repo, tag, byTag.get(tag).mediaType(), byTag.get(tag).bytes());
    }

    byTag.forEach((tag, m) -> {
      Response get = body(client.get("/v2/" + repo + "/manifests/" + tag, "Accept", ACCEPT_ALL_MANIFESTS), m.bytes());
      assertEquals(m.mediaType(), mediaType(get), () -> tag + " Content-Type: " + get);
      header(get, "Docker-Content-Digest", m.digest());
    });
  }

  @Test
  void aManifestReferencingAnEmbeddedSha512BlobIsAccepted() {
    String repo = repo("sha512-layer");
    Blob config = Oci.config(repo);
    byte[] layerBytes = Digests.randomBytes(SEED.incrementAndGet(), 3000);
    Blob layer = new Blob(Oci.LAYER_GZIP, Digests.sha512(layerBytes), layerBytes.length, layerBytes);
    client.pushBlob(repo, config.data());
    client.pushBlob(repo, layerBytes, layer.digest());
    Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config, layer));

    client.pushManifest(repo, "v1", m.mediaType(), m.bytes());

    body(client.get("/v2/" + repo + "/manifests/v1", "Accept", Oci.IMAGE_MANIFEST), m.bytes());
  }

  // ------------------------------------------------------------------------------------------
  // content negotiation

  @Test
  void anAcceptHeaderListingTheStoredTypeGetsItUnchanged() {
    String repo = repo("accept");
    Manifest m = newImage(repo);
    client.pushManifest(repo, "v1", m.mediaType(), m.bytes());
    String url = "/v2/" + repo + "/manifests/v1";

    List<Response> answers = new ArrayList<>();
    answers.add(client.get(url, "Accept", Oci.IMAGE_MANIFEST));
    answers.add(client.get(url, "Accept", Oci.DOCKER_MANIFEST + ", " + Oci.IMAGE_MANIFEST + ";q=0.9"));
    answers.add(client.get(url, "Accept", Oci.DOCKER_MANIFEST, "Accept", Oci.IMAGE_INDEX, "Accept", Oci.IMAGE_MANIFEST));

    for (Response r : answers) {
      body(r, m.bytes());
      assertEquals(Oci.IMAGE_MANIFEST, mediaType(r), () -> "Content-Type: " + r);
    }
  }

  @Test
  void aWildcardOrMissingAcceptGetsTheStoredManifestUnchanged() {
    // RFC 9110: no Accept means any media type is acceptable, and */* says so explicitly
    String repo = repo("accept-any");
    Manifest m = newImage(repo);
    client.pushManifest(repo, "v1", m.mediaType(), m.bytes());
    String url = "/v2/" + repo + "/manifests/v1";

    for (Response r : List.of(client.get(url, "Accept", "*/*"), client.get(url))) {
      body(r, m.bytes());
      assertEquals(Oci.IMAGE_MANIFEST, mediaType(r), () -> "Content-Type: " + r);
    }
  }

  @Test
  void anAcceptHeaderExcludingTheStoredTypeNeverGetsADifferentRepresentation() {
    String repo = repo("accept-mismatch");
    Manifest m = newImage(repo);
    Manifest index = Oci.manifest(Oci.IMAGE_INDEX, Oci.imageIndex(m));
    client.pushManifest(repo, m.digest(), m.mediaType(), m.bytes());
    client.pushManifest(repo, "multi", index.mediaType(), index.bytes());

    Response r = client.get("/v2/" + repo + "/manifests/multi", "Accept", Oci.DOCKER_MANIFEST);

    // The registry either refuses (404 MANIFEST_UNKNOWN / 406) or serves the stored bytes as they are:
    // it never converts the index into something else.
    if (r.status() == 200) {
      assertArrayEquals(index.bytes(), r.body(), () -> "served bytes differ from the stored index: " + r);
      assertEquals(Oci.IMAGE_INDEX, mediaType(r), () -> "Content-Type: " + r);
    } else {
      assertTrue(r.status() == 404 || r.status() == 406, () -> "unexpected answer: " + r);
    }
  }

  // ------------------------------------------------------------------------------------------
  // reference checks and validation

  @Test
  void aManifestReferencingAMissingBlobIsRefusedWithManifestBlobUnknown() {
    String repo = repo("missing-layer");
    Blob config = Oci.config(repo);
    Blob layer = Oci.layer(SEED.incrementAndGet(), 1000); // never pushed
    client.pushBlob(repo, config.data());
    Manifest missingLayer = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config, layer));

    Response r = client.put("/v2/" + repo + "/manifests/v1", missingLayer.bytes(), "Content-Type", Oci.IMAGE_MANIFEST);

    error(r, 400, "MANIFEST_BLOB_UNKNOWN");
    error(client.get("/v2/" + repo + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");

    Blob layer2 = Oci.layer(SEED.incrementAndGet(), 1000);
    Blob config2 = Oci.config(repo + "/missing-config"); // never pushed
    client.pushBlob(repo, layer2.data());
    Manifest missingConfig = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config2, layer2));
    error(client.put("/v2/" + repo + "/manifests/v2", missingConfig.bytes(), "Content-Type", Oci.IMAGE_MANIFEST),
        400, "MANIFEST_BLOB_UNKNOWN");
  }

  @Test
  void aManifestReferencingABlobOfAnotherRepositoryIsRefusedWithManifestBlobUnknown() {
    String repo = repo("foreign-layer");
    String other = repo("foreign-holder");
    Blob config = Oci.config(repo);
    Blob layer = Oci.layer(SEED.incrementAndGet(), 1000);
    client.pushBlob(repo, config.data());
    client.pushBlob(other, layer.data());
    Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config, layer));

    Response r = client.put("/v2/" + repo + "/manifests/v1", m.bytes(), "Content-Type", Oci.IMAGE_MANIFEST);

    error(r, 400, "MANIFEST_BLOB_UNKNOWN");
  }

  @Test
  void anIndexReferencingAMissingManifestIsRefusedWithManifestBlobUnknown() {
    String repo = repo("missing-child");
    Manifest child = newImage(repo); // blobs pushed, manifest not
    Manifest index = Oci.manifest(Oci.IMAGE_INDEX, Oci.imageIndex(child));

    Response r = client.put("/v2/" + repo + "/manifests/multi", index.bytes(), "Content-Type", Oci.IMAGE_INDEX);

    error(r, 400, "MANIFEST_BLOB_UNKNOWN");
    client.pushManifest(repo, child.digest(), child.mediaType(), child.bytes());
    client.pushManifest(repo, "multi", index.mediaType(), index.bytes());
  }

  @Test
  void aBodyThatIsNotValidJsonIsRefusedWithManifestInvalid() {
    String repo = repo("invalid-json");
    pushBlobs(repo);

    error(client.put("/v2/" + repo + "/manifests/v1", "{\"schemaVersion\": 2, ".getBytes(StandardCharsets.UTF_8),
        "Content-Type", Oci.IMAGE_MANIFEST), 400, "MANIFEST_INVALID");
    error(client.put("/v2/" + repo + "/manifests/v1", "[1, 2, 3]".getBytes(StandardCharsets.UTF_8),
        "Content-Type", Oci.IMAGE_MANIFEST), 400, "MANIFEST_INVALID");
    error(client.get("/v2/" + repo + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
  }

  @Test
  void anInvalidRepositoryNameIsRefusedWithNameInvalid() {
    Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(Oci.config("x"), Oci.layer(1, 10)));
    List<String> names = List.of("UpperCase/repo", "double..dot", "-leading/dash", "trailing_/x", "a/b-");
    for (String name : names) {
      errorWithStatusIn(client.put("/v2/" + name + "/manifests/v1", m.bytes(), "Content-Type", Oci.IMAGE_MANIFEST),
          List.of(400, 404), "NAME_INVALID");
      errorWithStatusIn(client.post("/v2/" + name + "/blobs/uploads/", new byte[0]), List.of(400, 404), "NAME_INVALID");
      errorWithStatusIn(client.get("/v2/" + name + "/tags/list"), List.of(400, 404), "NAME_INVALID");
    }
  }

  @Test
  void aNameOf255CharactersWithSeveralComponentsIsAccepted() {
    String name = "a1/" + "b-c.d_e".repeat(10) + "/" + "z".repeat(255 - 3 - 70 - 1);
    assertEquals(255, name.length());
    Blob config = Oci.config(name);
    client.pushBlob(name, config.data());
    Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config));

    client.pushManifest(name, "v1", m.mediaType(), m.bytes());

    body(client.get("/v2/" + name + "/manifests/v1", "Accept", Oci.IMAGE_MANIFEST), m.bytes());
  }

  @Test
  void anInvalidTagIsRefused() {
    String repo = repo("bad-tags");
    Manifest m = newImage(repo);
    for (String tag : List.of("-dash", ".dot", "t".repeat(129), "a+b", "caf%C3%A9")) {
      Response r = client.put("/v2/" + repo + "/manifests/" + tag, m.bytes(), "Content-Type", Oci.IMAGE_MANIFEST);
      errorWithStatusIn(r, List.of(400, 404), "TAG_INVALID", "MANIFEST_INVALID", "NAME_INVALID");
    }
    String longest = "_" + "T".repeat(127);
    client.pushManifest(repo, longest, m.mediaType(), m.bytes());
    body(client.get("/v2/" + repo + "/manifests/" + longest, "Accept", Oci.IMAGE_MANIFEST), m.bytes());
  }

  @Test
  void aManifestOfExactly4MiBIsAccepted() {
    String repo = repo("4mib");
    Blob[] b = pushBlobs(repo);
    byte[] bytes = paddedManifest(b, FOUR_MIB);
    assertEquals(FOUR_MIB, bytes.length);

    client.pushManifest(repo, "big", Oci.IMAGE_MANIFEST, bytes);

    body(client.get("/v2/" + repo + "/manifests/big", "Accept", Oci.IMAGE_MANIFEST), bytes);
  }

  /**
   * 413, as the spec's "Pushing Manifests" asks of a registry that enforces a size limit; the spec
   * names no code for it, so the answer carries one from its table (MANIFEST_INVALID, what zot
   * answers too) rather than a private one that clients would treat as UNKNOWN.
   */
  @Test
  void aManifestLargerThan4MiBIsRefusedWith413AndACodeFromTheSpecTable() {
    String repo = repo("too-big");
    Blob[] b = pushBlobs(repo);
    byte[] bytes = paddedManifest(b, FOUR_MIB + 1);

    Response r = client.put("/v2/" + repo + "/manifests/big", bytes, "Content-Type", Oci.IMAGE_MANIFEST);

    error(r, 413, "MANIFEST_INVALID");
    assertTrue(SPEC_ERROR_CODES.containsAll(r.errorCodes()), () -> "codes outside the spec's table: " + r);
    status(client.head("/v2/" + repo + "/manifests/big"), 404);
  }

  /** An image manifest over {@code b} padded with an annotation to exactly {@code size} bytes. */
  private static byte[] paddedManifest(Blob[] b, int size) {
    ObjectNode m = Oci.imageManifest(b[0], b[1]);
    m.putObject("annotations").put("pad", "");
    int base = Oci.bytes(m).length;
    ((ObjectNode) m.get("annotations")).put("pad", "p".repeat(size - base));
    return Oci.bytes(m);
  }

  // ------------------------------------------------------------------------------------------
  // media types: served back as Content-Type, so checked against RFC 6838 at push time

  @Test
  void aManifestWhoseMediaTypeIsNotAnRfc6838NameIsRefusedAndNothingIsStored() {
    String repo = repo("bad-media-type");
    Blob[] b = pushBlobs(repo);
    List<String> bad = List.of(
        Oci.IMAGE_MANIFEST + "\r\nX-Injected: yes",   // header injection
        Oci.IMAGE_MANIFEST + "\u0000",                 // a control character
        "application/vnd.oci.image.manifest.v1+json; charset=utf-8", // parameters are not stored
        "application/",                                // no subtype
        "application",                                 // no slash
        "application/vnd oci",                         // space
        "application/<script>",                        // not a restricted-name character
        "text/" + "x".repeat(128),                     // subtype longer than 127
        "application/v\u00e9");                        // not ASCII
    for (String mediaType : bad) {
      ObjectNode m = Oci.imageManifest(b[0], b[1]);
      m.put("mediaType", mediaType);
      byte[] bytes = Oci.bytes(m);

      Response put = client.put("/v2/" + repo + "/manifests/v1", bytes);

      error(put, 400, "MANIFEST_INVALID");
      error(client.get("/v2/" + repo + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
      error(client.get("/v2/" + repo + "/manifests/" + Digests.sha256(bytes)), 404, "MANIFEST_UNKNOWN");
    }
    // The same media types given only as the request's Content-Type (no mediaType field).
    for (String contentType : List.of("application/", "application", "application/<script>",
        "text/" + "x".repeat(128), "application/x; =broken")) {
      ObjectNode m = Oci.imageManifest(b[0], b[1]);
      m.remove("mediaType");
      byte[] bytes = Oci.bytes(m);

      Response put = client.put("/v2/" + repo + "/manifests/v2", bytes, "Content-Type", contentType);

      error(put, 400, "MANIFEST_INVALID");
      error(client.get("/v2/" + repo + "/manifests/v2"), 404, "MANIFEST_UNKNOWN");
      error(client.get("/v2/" + repo + "/manifests/" + Digests.sha256(bytes)), 404, "MANIFEST_UNKNOWN");
    }
    JsonNode tags = client.get("/v2/" + repo + "/tags/list").json().path("tags");
    assertTrue(tags.isMissingNode() || tags.isNull() || tags.isEmpty(), () -> "no tag may exist: " + tags);
  }

  @Test
  void aValidMediaTypeWithRestrictedNameCharactersAndContentTypeParametersIsAccepted() {
    String repo = repo("odd-media-type");
    Blob[] b = pushBlobs(repo);
    // Every restricted-name character of RFC 6838 section 4.2, in a type no registry knows.
    String unusual = "application/vnd.x!#$&-^_.+json";
    ObjectNode m = Oci.imageManifest(b[0], b[1]);
    m.put("mediaType", unusual);
    byte[] bytes = Oci.bytes(m);

    status(client.put("/v2/" + repo + "/manifests/odd", bytes, "Content-Type", unusual + "; charset=\"utf-8\""), 201);

    Response get = body(client.get("/v2/" + repo + "/manifests/odd"), bytes);
    header(get, "Content-Type", unusual);
    header(get, "X-Content-Type-Options", "nosniff");
  }

  // ------------------------------------------------------------------------------------------
  // conformance: what the distribution-spec suite (v1.1.1 and main) checks about odd references

  /** setup.go: {@code nonexistentManifest = ".INVALID_MANIFEST_NAME"}, a reference no tag can be. */
  private static final String CONFORMANCE_NONEXISTENT = ".INVALID_MANIFEST_NAME";

  /** The error codes of the spec's table (and setup.go's errorCodes, which adds TAG_INVALID, MANIFEST_UNVERIFIED). */
  private static final List<String> SPEC_ERROR_CODES = List.of("BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID",
      "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN",
      "MANIFEST_UNVERIFIED", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "TAG_INVALID", "UNAUTHORIZED",
      "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS");

  /**
   * conformance 01_pull_test.go, "Pull manifests": "HEAD request to nonexistent manifest should
   * return 404" and "GET nonexistent manifest should return 404"; 02_push_test.go, "Manifest
   * Upload": "GET nonexistent manifest should return 404". Each sends the request without an Accept
   * header to a repository that holds manifests and expects exactly 404: a reference that cannot
   * exist is not found.
   */
  @Test
  void getAndHeadOfAReferenceThatCannotExistAnswer404() {
    String repo = repo("conformance");
    Manifest m = newImage(repo);
    client.pushManifest(repo, "tagtest0", m.mediaType(), m.bytes());
    String path = "/v2/" + repo + "/manifests/" + CONFORMANCE_NONEXISTENT;

    status(client.head(path), 404);
    error(client.get(path), 404, "MANIFEST_UNKNOWN");
    // Nor in a repository that does not exist, nor for other references no tag or digest can be.
    error(client.get("/v2/" + repo("never-pushed") + "/manifests/" + CONFORMANCE_NONEXISTENT), 404,
        "MANIFEST_UNKNOWN", "NAME_UNKNOWN");
    for (String ref : List.of("-dash", "t".repeat(129), "sha256:totallywrong", "md5:abc")) {
      status(client.head("/v2/" + repo + "/manifests/" + ref), 404);
      error(client.get("/v2/" + repo + "/manifests/" + ref), 404, "MANIFEST_UNKNOWN");
    }
  }

  /**
   * conformance 01_pull_test.go, "Error codes": "400 response body should contain OCI-conforming
   * JSON message" (GET of {@code sha256:totallywrong} with a body: 400 or 404, and a 400 carries a
   * code of its list); the v1.0 suite's 07_error_codes_test.go sends the same as a PUT and wants
   * exactly 400. A PUT under an invalid tag keeps its 400 (TAG_INVALID) and stores nothing.
   */
  @Test
  void aPutUnderAnInvalidReferenceIsRefusedWith400AndACodeFromTheSpecTable() {
    String repo = repo("conformance-put");
    Manifest m = newImage(repo);
    byte[] garbage = "blablabla".getBytes(StandardCharsets.UTF_8);

    Response get = client.send("GET", "/v2/" + repo + "/manifests/sha256:totallywrong",
        java.net.http.HttpRequest.BodyPublishers.ofByteArray(garbage), "Content-Type", Oci.IMAGE_MANIFEST);
    assertTrue(get.status() == 400 || get.status() == 404, get::describe);
    Response put = client.put("/v2/" + repo + "/manifests/sha256:totallywrong", garbage,
        "Content-Type", Oci.IMAGE_MANIFEST);
    status(put, 400);
    assertTrue(SPEC_ERROR_CODES.containsAll(put.errorCodes()) && !put.errorCodes().isEmpty(), put::describe);

    Response invalidTag = client.put("/v2/" + repo + "/manifests/" + CONFORMANCE_NONEXISTENT, m.bytes(),
        "Content-Type", Oci.IMAGE_MANIFEST);
    error(invalidTag, 400, "TAG_INVALID");
    error(client.get("/v2/" + repo + "/manifests/" + m.digest()), 404, "MANIFEST_UNKNOWN");
  }

  // ------------------------------------------------------------------------------------------
  // unknown and deleted

  @Test
  void anUnknownManifestAnswers404() {
    String repo = repo("unknown");
    Manifest m = newImage(repo);
    client.pushManifest(repo, "v1", m.mediaType(), m.bytes());

    error(client.get("/v2/" + repo + "/manifests/nope"), 404, "MANIFEST_UNKNOWN");
    error(client.get("/v2/" + repo + "/manifests/" + Digests.sha256(new byte[] {1})), 404, "MANIFEST_UNKNOWN");
    status(client.head("/v2/" + repo + "/manifests/nope"), 404);
    error(client.get("/v2/" + repo("never-pushed") + "/manifests/v1"), 404, "NAME_UNKNOWN", "MANIFEST_UNKNOWN");
  }

  @Test
  void deletingAManifestRemovesItAndEveryTagPointingAtIt() {
    String repo = repo("delete");
    Manifest m = newImage(repo);
    Manifest other = newImage(repo);
    client.pushManifest(repo, "t1", m.mediaType(), m.bytes());
    client.pushManifest(repo, "t2", m.mediaType(), m.bytes());
    client.pushManifest(repo, "keep", other.mediaType(), other.bytes());

    status(client.delete("/v2/" + repo + "/manifests/" + m.digest()), 202);

    error(client.get("/v2/" + repo + "/manifests/t1"), 404, "MANIFEST_UNKNOWN");
    error(client.get("/v2/" + repo + "/manifests/t2"), 404, "MANIFEST_UNKNOWN");
    error(client.get("/v2/" + repo + "/manifests/" + m.digest()), 404, "MANIFEST_UNKNOWN");
    JsonNode tags = status(client.get("/v2/" + repo + "/tags/list"), 200).json().path("tags");
    assertEquals(List.of("keep"), strings(tags));
    body(client.get("/v2/" + repo + "/manifests/keep", "Accept", Oci.IMAGE_MANIFEST), other.bytes());
    error(client.delete("/v2/" + repo + "/manifests/" + m.digest()), 404, "MANIFEST_UNKNOWN");
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
