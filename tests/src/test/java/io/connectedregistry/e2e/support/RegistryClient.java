package io.connectedregistry.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A thin OCI Distribution client on {@link HttpClient}: raw requests (so tests see every status
 * and header) plus the few helpers that set up state (push a blob, push a manifest).
 */
public final class RegistryClient {

  private final URI base;
  private final HttpClient http;

  public RegistryClient(URI base) {
    this.base = base;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  public RegistryClient(RegistryProcess registry) {
    this(registry.baseUri());
  }

  public URI base() {
    return base;
  }

  public HttpClient http() {
    return http;
  }

  // ------------------------------------------------------------------------------------------
  // raw requests; target is a path ("/v2/...") or an absolute URI (a Location)

  public Response get(String target, String... headers) {
    return send("GET", target, BodyPublishers.noBody(), headers);
  }

  public Response head(String target, String... headers) {
    return send("HEAD", target, BodyPublishers.noBody(), headers);
  }

  public Response delete(String target, String... headers) {
    return send("DELETE", target, BodyPublishers.noBody(), headers);
  }

  public Response post(String target, byte[] body, String... headers) {
    return send("POST", target, BodyPublishers.ofByteArray(body), headers);
  }

  public Response put(String target, byte[] body, String... headers) {
    return send("PUT", target, BodyPublishers.ofByteArray(body), headers);
  }

  public Response patch(String target, byte[] body, String... headers) {
    return send("PATCH", target, BodyPublishers.ofByteArray(body), headers);
  }

  /** Sends one request; {@code headers} are name/value pairs. */
  public Response send(String method, String target, BodyPublisher body, String... headers) {
    URI uri = uri(target);
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
        .method(method, body);
    if (headers.length % 2 != 0) {
      throw new IllegalArgumentException("headers must be name/value pairs");
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Response(method, uri, r.statusCode(), r.headers(), r.body() == null ? new byte[0] : r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + uri + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted: " + method + " " + uri, e);
    }
  }

  public URI uri(String target) {
    return target.startsWith("http://") || target.startsWith("https://") ? URI.create(target) : base.resolve(target);
  }

  /** {@code u} with {@code key=value} appended to its query (URL-encoded). */
  public static String withQuery(URI u, String key, String value) {
    String s = u.toString();
    return s + (u.getRawQuery() == null ? "?" : "&") + key + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  public static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------------------------------
  // helpers that set up state; each fails the test if the registry does not accept it

  /** {@code POST /v2/<repo>/blobs/uploads/}; asserts 202 and returns the upload's Location. */
  public URI startUpload(String repo) {
    Response r = post("/v2/" + repo + "/blobs/uploads/", new byte[0]);
    if (r.status() != 202) {
      throw new AssertionError("starting an upload in " + repo + " should answer 202: " + r);
    }
    return r.location();
  }

  /** Pushes {@code data} with POST then PUT ?digest= (sha256); returns its digest. */
  public String pushBlob(String repo, byte[] data) {
    return pushBlob(repo, data, Digests.sha256(data));
  }

  /** Pushes {@code data} with POST then PUT ?digest={@code digest}; asserts 201. */
  public String pushBlob(String repo, byte[] data, String digest) {
    URI upload = startUpload(repo);
    Response r = put(withQuery(upload, "digest", digest), data, "Content-Type", "application/octet-stream");
    if (r.status() != 201) {
      throw new AssertionError("finishing the upload of " + digest + " should answer 201: " + r);
    }
    return digest;
  }

  /** {@code PUT /v2/<repo>/manifests/<ref>}; asserts 201 and returns the manifest's sha256 digest. */
  public String pushManifest(String repo, String reference, String mediaType, byte[] manifest) {
    Response r = put("/v2/" + repo + "/manifests/" + reference, manifest, "Content-Type", mediaType);
    if (r.status() != 201) {
      throw new AssertionError("pushing manifest " + repo + ":" + reference + " should answer 201: " + r);
    }
    return Digests.sha256(manifest);
  }
}
