import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Conversions;
import org.apache.avro.NameValidator;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a topic in the Confluent wire format as a strict Java consumer does: magic byte 0,
 * the 4-byte schema id, the writer schema fetched by id over HTTP and parsed by Avro's
 * Schema.Parser with strict name validation and default validation, the body decoded by
 * GenericDatumReader with Avro's logical type conversions (as a consumer with
 * avro.use.logical.type.converters does), which must consume it exactly. Prints one JSON line per record
 * ({"offset", "key", "value"}, Avro's JSON rendering) and exits non-zero on any failure.
 *
 * Usage: AvroTopicReader <bootstrap> <topic> <registry url> <records expected> <timeout ms>
 */
public final class AvroTopicReader {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Map<Integer, Schema> SCHEMAS = new HashMap<>();
  private static final GenericData DATA = new GenericData();

  static {
    DATA.addLogicalTypeConversion(new Conversions.DecimalConversion());
    DATA.addLogicalTypeConversion(new TimeConversions.DateConversion());
    DATA.addLogicalTypeConversion(new TimeConversions.TimeMillisConversion());
    DATA.addLogicalTypeConversion(new TimeConversions.TimeMicrosConversion());
    DATA.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
    DATA.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String registry = args[2];
    int expected = Integer.parseInt(args[3]);
    long deadline = System.currentTimeMillis() + Long.parseLong(args[4]);

    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    int read = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      while (partitions.isEmpty() && System.currentTimeMillis() < deadline) {
        consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (read < expected) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("read " + read + " of " + expected + " records from " + topic);
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          String key = decode(registry, record.key());
          String value = decode(registry, record.value());
          System.out.println("{\"offset\":" + record.offset() + ",\"key\":" + key + ",\"value\":" + value + "}");
          read++;
        }
      }
    }
  }

  private static String decode(String registry, byte[] message) throws Exception {
    if (message == null) return "null";
    ByteBuffer buffer = ByteBuffer.wrap(message);
    if (buffer.get() != 0) throw new IllegalStateException("unknown magic byte");
    int id = buffer.getInt();
    Schema schema = SCHEMAS.get(id);
    if (schema == null) {
      schema = fetch(registry, id);
      SCHEMAS.put(id, schema);
    }
    BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(message, 5, message.length - 5, null);
    Object datum = new GenericDatumReader<Object>(schema, schema, DATA).read(null, decoder);
    if (!decoder.isEnd()) throw new IllegalStateException("schema " + id + " left bytes unread");
    return DATA.toString(datum);
  }

  private static Schema fetch(String registry, int id) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(registry + "/schemas/ids/" + id)).GET().build();
    HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("schema " + id + ": HTTP " + response.statusCode() + " " + response.body());
    }
    String text = JSON.readTree(response.body()).get("schema").asText();
    return new Schema.Parser(NameValidator.STRICT_VALIDATOR).setValidateDefaults(true).parse(text);
  }
}
