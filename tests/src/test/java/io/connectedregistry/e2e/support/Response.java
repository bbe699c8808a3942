package io.connectedregistry.e2e.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One HTTP answer of the registry, fully read. */
public record Response(String method, URI uri, int status, HttpHeaders headers, byte[] body) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public Optional<String> header(String name) {
    return headers.firstValue(name);
  }

  /** The header's value, or null when absent. */
  public String headerOrNull(String name) {
    return headers.firstValue(name).orElse(null);
  }

  public String text() {
    return new String(body, StandardCharsets.UTF_8);
  }

  public JsonNode json() {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new AssertionError("not JSON (" + e.getMessage() + "): " + describe(), e);
    }
  }

  /** The {@code code} of each entry of an OCI error body {@code {"errors":[...]}}. */
  public List<String> errorCodes() {
    List<String> codes = new ArrayList<>();
    JsonNode errors = json().path("errors");
    for (JsonNode e : errors) {
      codes.add(e.path("code").asText());
    }
    return codes;
  }

  /** The {@code Location} header resolved against the request URI (it may be relative). */
  public URI location() {
    String loc = header("Location").orElseThrow(
        () -> new AssertionError("no Location header: " + describe()));
    return uri.resolve(loc);
  }

  /** Method, URI, status, headers and the start of the body: for assertion messages. */
  public String describe() {
    String b = text();
    if (b.length() > 600) {
      b = b.substring(0, 600) + "... (" + body.length + " bytes)";
    }
    return method + " " + uri + " -> " + status + " " + headers.map() + (b.isEmpty() ? "" : " body: " + b);
  }

  @Override
  public String toString() {
    return describe();
  }
}
