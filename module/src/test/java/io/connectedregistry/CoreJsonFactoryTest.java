package io.connectedregistry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Vert.x's JSON runs on {@link CoreJsonFactory}, and everything reads and writes as it did with
 * Vert.x's own databind codec: documents of maps and lists through jackson-core, records and
 * classes of their own through databind.
 */
class CoreJsonFactoryTest {
  private static final DatabindCodec VERTX_DEFAULT = new DatabindCodec();

  record Answer(String name, int count, List<String> tags) {}

  @Test
  void vertxUsesThisCodec() {
    assertInstanceOf(CoreJsonFactory.Codec.class, Json.CODEC);
  }

  @Test
  void documentsOfMapsAndListsWriteAsWithDatabind() {
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("errors", List.of(Map.of("code", "MANIFEST_UNKNOWN", "message", "manifest \"é\\\" unknown")));
    document.put("n", 12345678901L);
    document.put("x", 1.5);
    document.put("ok", true);
    document.put("none", null);
    document.put("when", Instant.parse("2026-12-01T15:00:00Z"));
    document.put("bytes", new byte[] {1, 2, 3});
    document.put("object", new JsonObject().put("a", new JsonArray().add(1).add("b")));
    for (boolean pretty : new boolean[] {false, true}) {
      assertEquals(VERTX_DEFAULT.toString(document, pretty), Json.CODEC.toString(document, pretty));
      assertEquals(VERTX_DEFAULT.toBuffer(document, pretty), Json.CODEC.toBuffer(document, pretty));
    }
  }

  @Test
  void recordsStillWriteThroughDatabind() {
    Answer answer = new Answer("r", 2, List.of("v1", "v2"));
    assertEquals("{\"name\":\"r\",\"count\":2,\"tags\":[\"v1\",\"v2\"]}", Json.encode(answer));
    // inside a map too: jackson-core gives up on the record, databind writes the whole value
    assertEquals(VERTX_DEFAULT.toString(Map.of("answer", answer), false), Json.encode(Map.of("answer", answer)));
    assertEquals(VERTX_DEFAULT.toString(answer, true), Json.encodePrettily(answer));
    assertEquals(VERTX_DEFAULT.toBuffer(answer, false), Json.CODEC.toBuffer(answer, false));
  }

  @Test
  void documentsReadAsWithDatabind() {
    String json = "{\"a\":[1,2.5,\"x\",null,{\"b\":true}],\"big\":123456789012345678901234567890}";
    assertEquals(VERTX_DEFAULT.fromString(json, Object.class), Json.decodeValue(json));
    assertEquals(VERTX_DEFAULT.fromString(json, Map.class), Json.CODEC.fromString(json, Map.class));
    assertEquals(new JsonObject(json), VERTX_DEFAULT.fromString(json, JsonObject.class));
    assertEquals(VERTX_DEFAULT.fromBuffer(Buffer.buffer("[1,{}]"), List.class),
        Json.CODEC.fromBuffer(Buffer.buffer("[1,{}]"), List.class));
    assertEquals(new JsonArray("[1,{\"c\":\"d\"}]").getJsonObject(1).getString("c"), "d");
  }

  @Test
  void classesOfTheirOwnReadThroughDatabind() {
    String json = "{\"name\":\"r\",\"count\":2,\"tags\":[\"v1\"]}";
    assertEquals(new Answer("r", 2, List.of("v1")), Json.decodeValue(json, Answer.class));
    assertEquals(new Answer("r", 2, List.of("v1")), Json.decodeValue(Buffer.buffer(json), Answer.class));
    assertEquals(new JsonObject(json), Json.decodeValue(json, JsonObject.class));
    assertEquals(new Answer("r", 2, List.of("v1")), new JsonObject(json).mapTo(Answer.class));
  }

  @Test
  void badDocumentsFailAsBefore() {
    assertThrows(DecodeException.class, () -> Json.decodeValue("{\"a\":"));
    assertThrows(DecodeException.class, () -> new JsonObject("[1]"));
    assertThrows(DecodeException.class, () -> Json.decodeValue("{\"name\":", Answer.class));
  }
}
