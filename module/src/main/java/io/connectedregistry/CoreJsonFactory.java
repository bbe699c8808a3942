package io.connectedregistry;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;
import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.core.spi.JsonFactory;
import io.vertx.core.spi.json.JsonCodec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Vert.x's JSON ({@link io.vertx.core.json.Json}, {@link JsonObject}, error bodies) on jackson-core
 * alone, with jackson-databind made only when a value needs it. Vert.x's own factory makes a {@link
 * DatabindCodec} whenever databind is on the class path, and its first use (the registry's first
 * JSON error body) built an {@code ObjectMapper}: ~360 databind classes, which stay loaded for
 * good, for documents that are only maps, lists, strings, numbers and booleans (bench/README.md,
 * issue #13, eighth session).
 *
 * <p>Values jackson-core cannot write (records and other objects, which admin answers pass to
 * {@code Json.encode}) and documents read into a class of their own still go through databind,
 * exactly as before: {@link Codec} hands them to a {@link DatabindCodec}, made on first use.
 *
 * <p>Registered through {@code META-INF/services/io.vertx.core.spi.JsonFactory}; Vert.x takes the
 * factory with the lowest {@link #order()}, and its own has the highest.
 */
public final class CoreJsonFactory implements JsonFactory {
  private static final JsonCodec CODEC = new Codec();

  @Override
  public int order() {
    return 0;
  }

  @Override
  public JsonCodec codec() {
    return CODEC;
  }

  /** jackson-core where it can, a {@link DatabindCodec} made on first need where it cannot. */
  static final class Codec extends JacksonCodec {
    /**
     * The classes Vert.x itself reads documents into ({@code new JsonObject(String)}, {@code new
     * JsonArray(String)}, {@code Json.decodeValue(String)}), which {@link JacksonCodec} reads as
     * {@link DatabindCodec} does. Any other class (even {@link JsonObject}) is a databind mapping.
     */
    private static final Set<Class<?>> CORE_TYPES = Set.of(Object.class, Map.class, List.class);

    /** Made on first use ({@link #databind()}): loading databind is what this class avoids. */
    private static final class Databind {
      static final DatabindCodec CODEC = new DatabindCodec();
    }

    static JacksonCodec databind() {
      return Databind.CODEC;
    }

    @Override
    public <T> T fromString(String json, Class<T> type) throws DecodeException {
      return CORE_TYPES.contains(type) ? super.fromString(json, type) : databind().fromString(json, type);
    }

    @Override
    public <T> T fromBuffer(Buffer json, Class<T> type) throws DecodeException {
      return CORE_TYPES.contains(type) ? super.fromBuffer(json, type) : databind().fromBuffer(json, type);
    }

    @Override
    public <T> T fromValue(Object json, Class<T> type) {
      // JacksonCodec maps no value into a class: this is JsonObject.mapTo and the like.
      return databind().fromValue(json, type);
    }

    @Override
    public String toString(Object value, boolean pretty) throws EncodeException {
      return orDatabind(() -> super.toString(value, pretty), () -> databind().toString(value, pretty));
    }

    @Override
    public Buffer toBuffer(Object value, boolean pretty) throws EncodeException {
      return orDatabind(() -> super.toBuffer(value, pretty), () -> databind().toBuffer(value, pretty));
    }

    /**
     * jackson-core's writing, or databind's when the value holds something jackson-core cannot
     * write (a record or bean somewhere in it): the failed attempt wrote into its own buffer only.
     */
    private static <T> T orDatabind(Supplier<T> core, Supplier<T> databind) {
      try {
        return core.get();
      } catch (EncodeException needsDatabind) {
        return databind.get();
      }
    }
  }
}
