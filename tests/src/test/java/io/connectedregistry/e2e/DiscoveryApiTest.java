package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.header;
import static io.connectedregistry.e2e.support.Expect.mediaType;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Content discovery: tags list (lexical order, n/last pagination, Link), _catalog pagination, and
 * the referrers API (subject, OCI-Subject, artifactType filter, unknown digests).
 */
class DiscoveryApiTest {

  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
  private static final String SBOM = "application/vnd.example.sbom.v1";
  private static final String SIGNATURE = "application/vnd.example.signature.v1";
  private static final AtomicInteger SEED = new AtomicInteger(9000);
  private static RegistryProcess registry;
  private static RegistryClient client;

  @BeforeAll
  static void startRegistry() {
    registry = RegistryProcess.startFresh("discovery-api");
    client = new RegistryClient(registry);
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  private static String repo(String name) {
    return "discovery/" + name + "-" + SEED.incrementAndGet();
  }

  /** Pushes a fresh image (blobs + manifest) into {@code repo} under {@code tags}; returns the manifest. */
  private static Manifest pushImage(String repo, String... tags) {
    int seed = SEED.incrementAndGet();
    Blob config = Oci.config(repo + "/" + seed);
    Blob layer = Oci.layer(seed, 512);
    client.pushBlob(repo, config.data());
    client.pushBlob(repo, layer.data());
    Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config, layer));
    client.pushManifest(repo, m.digest(), m.mediaType(), m.bytes());
    for (String t : tags) {
      client.pushManifest(repo, t, m.mediaType(), m.bytes());
    }
    return m;
  }

  /** The URL of {@code rel="next"} in the Link header, resolved; null when there is none. */
  private static URI nextLink(Response r) {
    String link = r.headerOrNull("Link");
    if (link == null) {
      return null;
    }
    Matcher m = NEXT_LINK.matcher(link);
    assertTrue(m.find(), () -> "Link header should be <url>; rel=\"next\": " + r);
    return r.uri().resolve(m.group(1));
  }

  private static Map<String, String> query(URI u) {
    Map<String, String> q = new HashMap<>();
    if (u.getRawQuery() != null) {
      for (String kv : u.getRawQuery().split("&")) {
        String[] p = kv.split("=", 2);
        q.put(URLDecoder.decode(p[0], StandardCharsets.UTF_8),
            p.length > 1 ? URLDecoder.decode(p[1], StandardCharsets.UTF_8) : "");
      }
    }
    return q;
  }

  private static List<String> strings(JsonNode array) {
    return ManifestApiTest.strings(array);
  }

  // ------------------------------------------------------------------------------------------
  // tags

  @Test
  void tagsAreListedInLexicalOrder() {
    String repo = repo("tag-order");
    List<String> tags = List.of("v10", "v2", "latest", "1.0", "v1", "a_b", "a-b", "a.b");
    pushImage(repo, tags.toArray(String[]::new));

    Response r = status(client.get("/v2/" + repo + "/tags/list"), 200);

    assertEquals(repo, r.json().path("name").asText());
    assertEquals(tags.stream().sorted().collect(Collectors.toList()), strings(r.json().path("tags")));
  }

  @Test
  void tagsPaginateWithNAndLastFollowingTheLinkHeader() {
    String repo = repo("tag-pages");
    pushImage(repo, "g", "c", "a", "e", "b", "f", "d");

    Response p1 = status(client.get("/v2/" + repo + "/tags/list?n=3"), 200);
    assertEquals(List.of("a", "b", "c"), strings(p1.json().path("tags")));
    URI next = nextLink(p1);
    assertNotNull(next, () -> "a first page with more to come needs a Link header: " + p1);
    assertEquals("/v2/" + repo + "/tags/list", next.getPath());
    assertEquals("c", query(next).get("last"), () -> "Link: " + p1.headerOrNull("Link"));
    assertEquals("3", query(next).get("n"), () -> "Link: " + p1.headerOrNull("Link"));

    Response p2 = status(client.get(next.toString()), 200);
    assertEquals(List.of("d", "e", "f"), strings(p2.json().path("tags")));
    URI next2 = nextLink(p2);
    assertNotNull(next2, () -> "a middle page needs a Link header: " + p2);

    Response p3 = status(client.get(next2.toString()), 200);
    assertEquals(List.of("g"), strings(p3.json().path("tags")));
    assertEquals(null, nextLink(p3), () -> "the last page has no Link: " + p3);
  }

  @Test
  void tagsAfterLastWithoutNAndWithNZeroOrLargeAreListedAsTheSpecSays() {
    String repo = repo("tag-last");
    pushImage(repo, "a", "b", "c", "d");

    assertEquals(List.of("c", "d"), strings(status(client.get("/v2/" + repo + "/tags/list?last=b"), 200)
        .json().path("tags")));
    Response zero = status(client.get("/v2/" + repo + "/tags/list?n=0"), 200);
    assertEquals(List.of(), strings(zero.json().path("tags")));
    assertFalse(zero.header("Link").isPresent(), () -> "n=0 must not answer with a Link: " + zero);
    Response all = status(client.get("/v2/" + repo + "/tags/list?n=100"), 200);
    assertEquals(List.of("a", "b", "c", "d"), strings(all.json().path("tags")));
    assertFalse(all.header("Link").isPresent(), () -> "no Link when everything fits: " + all);
  }

  @Test
  void tagsOfAnUnknownRepositoryAnswer404NameUnknown() {
    error(client.get("/v2/" + repo("never-pushed") + "/tags/list"), 404, "NAME_UNKNOWN");
  }

  // ------------------------------------------------------------------------------------------
  // catalog

  @Test
  void theCatalogListsRepositoriesInOrderAndPaginatesWithTheLinkHeader() {
    List<String> mine = new ArrayList<>();
    for (String n : List.of("zeta", "alpha", "mid/deep/er", "beta", "alpha-2")) {
      String r = "catalog/" + n;
      pushImage(r, "v1");
      mine.add(r);
    }

    List<String> full = strings(status(client.get("/v2/_catalog"), 200).json().path("repositories"));
    assertTrue(full.containsAll(mine), () -> "catalog " + full + " should hold " + mine);
    assertEquals(full.stream().sorted().collect(Collectors.toList()), full, "catalog in lexical order");

    List<String> paged = new ArrayList<>();
    URI page = client.uri("/v2/_catalog?n=2");
    int pages = 0;
    while (page != null) {
      Response r = status(client.get(page.toString()), 200);
      List<String> repos = strings(r.json().path("repositories"));
      assertTrue(repos.size() <= 2, () -> "a page holds at most n entries: " + r);
      paged.addAll(repos);
      page = nextLink(r);
      if (page != null) {
        assertEquals("/v2/_catalog", page.getPath());
        assertEquals(repos.get(repos.size() - 1), query(page).get("last"), "Link continues after the last entry");
      }
      assertTrue(++pages < 100, "pagination does not end");
    }
    assertEquals(full, paged, "the pages together are the whole catalog");
    assertTrue(pages >= 3, "5+ repositories at n=2 take at least 3 pages");

    List<String> afterAlpha = strings(status(client.get("/v2/_catalog?n=2&last=catalog/alpha"), 200)
        .json().path("repositories"));
    int from = full.indexOf("catalog/alpha") + 1;
    assertEquals(full.subList(from, Math.min(from + 2, full.size())), afterAlpha);
  }

  // ------------------------------------------------------------------------------------------
  // referrers

  private static Manifest pushArtifact(String repo, String reference, String artifactType, Manifest subject,
      Map<String, String> annotations) {
    client.pushBlob(repo, Oci.EMPTY_JSON_BLOB);
    Blob payload = Blob.of("application/vnd.example.payload", Digests.randomBytes(SEED.incrementAndGet(), 200));
    client.pushBlob(repo, payload.data());
    Manifest a = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.artifact(artifactType, subject, annotations, payload));
    Response r = client.put("/v2/" + repo + "/manifests/" + (reference == null ? a.digest() : reference), a.bytes(),
        "Content-Type", Oci.IMAGE_MANIFEST);
    status(r, 201);
    header(r, "OCI-Subject", subject.digest());
    return a;
  }

  private static Map<String, JsonNode> referrers(String repo, String digest, String query) {
    Response r = status(client.get("/v2/" + repo + "/referrers/" + digest + (query == null ? "" : "?" + query)), 200);
    assertEquals(Oci.IMAGE_INDEX, mediaType(r), () -> "referrers answer is an image index: " + r);
    JsonNode idx = r.json();
    assertEquals(2, idx.path("schemaVersion").asInt(), () -> "schemaVersion: " + r);
    assertEquals(Oci.IMAGE_INDEX, idx.path("mediaType").asText(), () -> "mediaType: " + r);
    assertTrue(idx.path("manifests").isArray(), () -> "manifests array: " + r);
    Map<String, JsonNode> byDigest = new HashMap<>();
    idx.path("manifests").forEach(d -> byDigest.put(d.path("digest").asText(), d));
    return byDigest;
  }

  @Test
  void manifestsWithASubjectAreListedAsItsReferrersWithArtifactTypeAndAnnotations() {
    String repo = repo("referrers");
    Manifest subject = pushImage(repo, "v1");
    Manifest sbom = pushArtifact(repo, null, SBOM, subject, Map.of("org.example.kind", "sbom"));
    Manifest sig = pushArtifact(repo, "sig", SIGNATURE, subject, Map.of());
    // an image manifest without artifactType: its descriptor takes the config media type
    Blob cfg = Blob.of("application/vnd.example.config.v1+json", "{\"x\":1}".getBytes(StandardCharsets.UTF_8));
    client.pushBlob(repo, cfg.data());
    ObjectNode plain = Oci.imageManifest(cfg);
    plain.set("subject", subject.descriptor());
    Manifest plainImage = Oci.manifest(Oci.IMAGE_MANIFEST, plain);
    Response put = client.put("/v2/" + repo + "/manifests/" + plainImage.digest(), plainImage.bytes(),
        "Content-Type", Oci.IMAGE_MANIFEST);
    header(status(put, 201), "OCI-Subject", subject.digest());

    Map<String, JsonNode> refs = referrers(repo, subject.digest(), null);

    assertEquals(Map.of(sbom.digest(), SBOM, sig.digest(), SIGNATURE,
            plainImage.digest(), "application/vnd.example.config.v1+json"),
        refs.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().path("artifactType").asText())));
    JsonNode d = refs.get(sbom.digest());
    assertEquals(Oci.IMAGE_MANIFEST, d.path("mediaType").asText());
    assertEquals(sbom.size(), d.path("size").asLong());
    assertEquals("sbom", d.path("annotations").path("org.example.kind").asText(), () -> "annotations copied: " + d);
  }

  @Test
  void referrersFilteredByArtifactTypeHoldOnlyThatTypeAndSaySo() {
    String repo = repo("referrers-filter");
    Manifest subject = pushImage(repo, "v1");
    Manifest sbom = pushArtifact(repo, null, SBOM, subject, Map.of());
    pushArtifact(repo, null, SIGNATURE, subject, Map.of());

    Response r = status(client.get("/v2/" + repo + "/referrers/" + subject.digest() + "?artifactType="
        + RegistryClient.encode(SBOM)), 200);

    header(r, "OCI-Filters-Applied", "artifactType");
    Map<String, JsonNode> refs = referrers(repo, subject.digest(), "artifactType=" + RegistryClient.encode(SBOM));
    assertEquals(List.of(sbom.digest()), new ArrayList<>(refs.keySet()));
    assertEquals(2, referrers(repo, subject.digest(), null).size());
  }

  @Test
  void referrersOfAnUnknownDigestAreAnEmptyIndex() {
    String repo = repo("referrers-none");
    pushImage(repo, "v1");

    assertEquals(Map.of(), referrers(repo, Digests.sha256(new byte[] {42}), null));
    assertEquals(Map.of(), referrers(repo("referrers-no-repo"), Digests.sha256(new byte[] {43}), null));
  }

  @Test
  void referrersOfAMalformedDigestAnswer400() {
    String repo = repo("referrers-bad");
    pushImage(repo, "v1");

    Response r = client.get("/v2/" + repo + "/referrers/sha256:not-a-digest");

    status(r, 400);
  }

  @Test
  void aReferrerPushedBeforeItsSubjectIsAcceptedAndListed() {
    String repo = repo("referrers-early");
    int seed = SEED.incrementAndGet();
    Blob config = Oci.config(repo + "/" + seed);
    Manifest subject = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config));

    Manifest sbom = pushArtifact(repo, null, SBOM, subject, Map.of());
    client.pushBlob(repo, config.data());
    client.pushManifest(repo, "v1", subject.mediaType(), subject.bytes());

    assertEquals(List.of(sbom.digest()), new ArrayList<>(referrers(repo, subject.digest(), null).keySet()));
  }

  @Test
  void referrersAreScopedToTheirRepositoryAndADeletedReferrerIsNoLongerListed() {
    String repo = repo("referrers-scope");
    String other = repo("referrers-scope-other");
    Manifest subject = pushImage(repo, "v1");
    client.pushBlob(other, Oci.config(repo + "/" + 0).data()); // make "other" exist
    Manifest sbom = pushArtifact(repo, null, SBOM, subject, Map.of());
    Manifest sig = pushArtifact(repo, null, SIGNATURE, subject, Map.of());

    assertEquals(Map.of(), referrers(other, subject.digest(), null));
    status(client.delete("/v2/" + repo + "/manifests/" + sig.digest()), 202);

    assertEquals(List.of(sbom.digest()), new ArrayList<>(referrers(repo, subject.digest(), null).keySet()));
  }
}
