package io.connectedregistry.e2e.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;

/** Assertions on registry responses whose failure messages show the whole exchange. */
public final class Expect {

  private Expect() {}

  public static Response status(Response r, int expected) {
    assertEquals(expected, r.status(), () -> "unexpected status: " + r.describe());
    return r;
  }

  /**
   * An OCI error answer: the status, a JSON body {@code {"errors":[{"code","message",...}]}}, and
   * one of {@code codes} among the error codes.
   */
  public static Response error(Response r, int expectedStatus, String... codes) {
    assertEquals(expectedStatus, r.status(), () -> "unexpected status: " + r.describe());
    return errorBody(r, codes);
  }

  /** As {@link #error} for any of several statuses the spec allows. */
  public static Response errorWithStatusIn(Response r, List<Integer> statuses, String... codes) {
    assertTrue(statuses.contains(r.status()), () -> "status should be one of " + statuses + ": " + r.describe());
    return errorBody(r, codes);
  }

  private static Response errorBody(Response r, String... codes) {
    JsonNode errors = r.json().path("errors");
    assertTrue(errors.isArray() && errors.size() > 0, () -> "error body should hold an errors array: " + r.describe());
    for (JsonNode e : errors) {
      assertTrue(e.path("code").isTextual(), () -> "each error needs a code: " + r.describe());
      assertTrue(e.path("message").isTextual(), () -> "each error needs a message: " + r.describe());
    }
    List<String> got = r.errorCodes();
    assertTrue(got.stream().anyMatch(Arrays.asList(codes)::contains),
        () -> "error code should be one of " + Arrays.toString(codes) + " but was " + got + ": " + r.describe());
    return r;
  }

  /** 200 with exactly {@code expected} as body. */
  public static Response body(Response r, byte[] expected) {
    status(r, 200);
    assertArrayEquals(expected, r.body(), () -> "body differs (" + r.body().length + " bytes, expected "
        + expected.length + "): " + r.describe());
    return r;
  }

  public static Response header(Response r, String name, String expected) {
    assertEquals(expected, r.headerOrNull(name), () -> "header " + name + ": " + r.describe());
    return r;
  }

  /** The media type part of Content-Type (parameters like charset dropped). */
  public static String mediaType(Response r) {
    String ct = r.headerOrNull("Content-Type");
    return ct == null ? null : ct.split(";")[0].trim();
  }
}
