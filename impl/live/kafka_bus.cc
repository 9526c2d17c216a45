#include "live/kafka_bus.h"

#include <librdkafka/rdkafka_mock.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <condition_variable>
#include <mutex>

#include "core/cluster.h"

namespace msgbed::live {

namespace {

constexpr int kPollMs = 100;
// How long to wait for brokers to describe the topics: at start, and when
// trying brokers that may not be up yet (the watcher tries again).
constexpr int kMetadataTimeoutMs = 10000;
constexpr int kReconnectMetadataTimeoutMs = 3000;

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)>;

Status MakeConf(const std::vector<std::pair<std::string, std::string>>& settings, ConfPtr* out) {
  ConfPtr conf(rd_kafka_conf_new(), &rd_kafka_conf_destroy);
  char err[512];
  for (const auto& [k, v] : settings) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      return Status::Invalid("kafka config " + k + ": " + err);
    }
  }
  *out = std::move(conf);
  return Status::Ok();
}

Status NewClient(rd_kafka_type_t type, ConfPtr conf, rd_kafka_t** out) {
  char err[512];
  *out = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (*out == nullptr) return Status::IoError(std::string("kafka client: ") + err);
  conf.release();  // owned by the client now
  return Status::Ok();
}

// The producer's opaque: where failed deliveries are counted.
void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  if (!m->err) return;
  ++*static_cast<std::atomic<uint64_t>*>(opaque);
  if (m->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE && m->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
    spdlog::error("bus: record to partition {} lost: {}", m->partition, rd_kafka_err2str(m->err));
  }
}

Status CheckTopic(rd_kafka_t* rk, const std::string& topic, uint32_t partitions, int timeout_ms) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
  rd_kafka_topic_destroy(t);
  if (err) {
    return Status::IoError("bus: cannot read metadata of '" + topic + "': " + rd_kafka_err2str(err) +
                           " (are the brokers up? is the bus process running?)");
  }
  Status s;
  if (md->topic_cnt != 1 || md->topics[0].err) {
    s = Status::Invalid("bus: topic '" + topic + "' does not exist; create it with " + std::to_string(partitions) +
                        " partitions");
  } else if (md->topics[0].partition_cnt != static_cast<int>(partitions)) {
    s = Status::Invalid("bus: topic '" + topic + "' has " + std::to_string(md->topics[0].partition_cnt) +
                        " partitions, the config says " + std::to_string(partitions));
  }
  rd_kafka_metadata_destroy(md);
  return s;
}

bool Cooperative(rd_kafka_t* rk) { return std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"; }

// Takes parts out of the consumer's assignment (all of it, eagerly).
void Unassign(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* parts) {
  if (!Cooperative(rk)) {
    rd_kafka_assign(rk, nullptr);
  } else if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk, parts)) {
    spdlog::warn("bus: rebalance: {}", rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  }
}

// Commits what it can within the bound, then lets go. orderly: it also
// leaves its group (within the bound), so its partitions move at once;
// otherwise the group finds it gone after the session timeout, as after a
// crash.
void CloseConsumerBounded(rd_kafka_t* rk, bool orderly) {
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  if (rd_kafka_commit_queue(rk, nullptr, q, nullptr, nullptr) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (rd_kafka_event_t* ev = rd_kafka_queue_poll(q, KafkaBus::kCloseTimeoutMs)) rd_kafka_event_destroy(ev);
  }
  if (orderly) {
    if (rd_kafka_error_t* error = rd_kafka_consumer_close_queue(rk, q)) {
      rd_kafka_error_destroy(error);
    } else {
      // Gives up the assignment when asked (the owner was told already),
      // until the group has been left.
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(KafkaBus::kCloseTimeoutMs);
      while (!rd_kafka_consumer_closed(rk) && std::chrono::steady_clock::now() < until) {
        rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 100);
        if (ev == nullptr) continue;
        if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE) Unassign(rk, rd_kafka_event_topic_partition_list(ev));
        rd_kafka_event_destroy(ev);
      }
    }
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

std::vector<Service::Partition> PartitionsOf(const rd_kafka_topic_partition_list_t* list) {
  std::vector<Service::Partition> out;
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back({list->elems[i].topic, static_cast<uint32_t>(list->elems[i].partition)});
  }
  return out;
}

// What a consumer's rebalance callback needs (its client's opaque).
struct RebalanceContext {
  boost::asio::io_context* io;
  std::shared_ptr<std::atomic<bool>> stop;  // its consumer stopped: tell nobody
  KafkaBus::ConsumerHandlers handlers;
};

// Runs on the consumer's poll thread. The owner hears of an assignment
// before any record of it, and of a revocation after every record posted
// before it: both go through the io_context queue, in order.
void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* r = static_cast<RebalanceContext*>(opaque);
  auto tell = [r, list = PartitionsOf(parts)](auto member) {
    boost::asio::post(*r->io, [stop = r->stop, fn = r->handlers.*member, list] {
      if (!*stop) fn(list);
    });
  };
  if (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) spdlog::warn("bus: rebalance: {}", rd_kafka_err2str(err));
    tell(&KafkaBus::ConsumerHandlers::revoked);
    return Unassign(rk, parts);
  }
  tell(&KafkaBus::ConsumerHandlers::assigned);
  if (!Cooperative(rk)) {
    rd_kafka_assign(rk, parts);
  } else if (rd_kafka_error_t* error = rd_kafka_incremental_assign(rk, parts)) {
    spdlog::warn("bus: rebalance: {}", rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  }
}

}  // namespace

// The producer with its poll thread; closing it flushes what it can within
// the bound and counts the rest as undelivered.
struct KafkaBus::Producer {
  rd_kafka_t* rk = nullptr;
  std::atomic<bool> stop{false};
  std::thread poller;
  std::shared_ptr<std::atomic<uint64_t>> undelivered;

  void StartPolling() {
    poller = std::thread([this] {
      while (!stop) rd_kafka_poll(rk, kPollMs);
    });
  }
  ~Producer() {
    stop = true;
    if (poller.joinable()) poller.join();
    if (rd_kafka_flush(rk, kCloseTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_poll(rk, 0);  // delivery reports of the purged records count them
      spdlog::warn("bus: {} record(s) undelivered so far", undelivered->load());
    }
    rd_kafka_destroy(rk);
  }
};

// One consumer: its subscription, and the librdkafka client serving it now
// (replaced by a reconnect). Records posted to the io_context hold the
// client they came from, so it lives until the last of them is handled.
struct KafkaBus::Consumer {
  struct Client {
    rd_kafka_t* rk = nullptr;
    bool orderly = false;  // how it closes
    std::unique_ptr<RebalanceContext> rebalance;
    ~Client() {
      if (rk) CloseConsumerBounded(rk, orderly);
    }
  };
  // Records posted and not yet handled; the poll thread waits at the bound.
  struct Backlog {
    std::mutex mu;
    std::condition_variable room;
    size_t posted = 0;
    size_t most = 0;
    std::atomic<bool> polling{false};  // the poll thread holds one reservation for a poll under way
    // Poll thread: true once there is room for one more (counted), false if stopping.
    bool Reserve(const std::atomic<bool>& stop) {
      std::unique_lock lock(mu);
      while (posted >= kMaxPostedRecords && !stop) room.wait_for(lock, std::chrono::milliseconds(kPollMs));
      if (stop) return false;
      most = std::max(most, ++posted);
      return true;
    }
    void Release() {
      std::lock_guard lock(mu);
      --posted;
      room.notify_one();
    }
  };
  std::string group;
  std::vector<std::string> topics;
  ConsumerHandlers handlers;
  std::shared_ptr<Client> client;
  std::shared_ptr<std::atomic<bool>> stop;
  std::shared_ptr<Backlog> backlog = std::make_shared<Backlog>();
  std::thread poller;
};

KafkaBus::KafkaBus(uint32_t partitions, std::vector<std::string> topics, boost::asio::io_context& io,
                   int session_timeout_ms)
    : partitions_(partitions), topics_(std::move(topics)), session_timeout_ms_(session_timeout_ms), io_(io) {}

Status KafkaBus::Open(const std::string& bootstrap, uint32_t partitions, const std::vector<std::string>& topics,
                      boost::asio::io_context& io, std::unique_ptr<KafkaBus>* out, int session_timeout_ms) {
  std::unique_ptr<KafkaBus> bus(new KafkaBus(partitions, topics, io, session_timeout_ms));
  if (Status s = bus->NewProducer(bootstrap, kMetadataTimeoutMs, &bus->producer_); !s.ok()) return s;
  bus->bootstrap_ = bootstrap;
  *out = std::move(bus);
  return Status::Ok();
}

Status KafkaBus::NewProducer(const std::string& bootstrap, int timeout_ms, std::unique_ptr<Producer>* out) const {
  ConfPtr conf(nullptr, &rd_kafka_conf_destroy);
  Status s = MakeConf({{"bootstrap.servers", bootstrap}, {"enable.idempotence", "true"}, {"linger.ms", "2"}}, &conf);
  if (!s.ok()) return s;
  rd_kafka_conf_set_dr_msg_cb(conf.get(), OnDelivery);
  rd_kafka_conf_set_opaque(conf.get(), undelivered_.get());
  auto p = std::make_unique<Producer>();
  p->undelivered = undelivered_;
  if (s = NewClient(RD_KAFKA_PRODUCER, std::move(conf), &p->rk); !s.ok()) return s;
  p->StartPolling();
  for (const auto& t : topics_) {
    if (s = CheckTopic(p->rk, t, partitions_, timeout_ms); !s.ok()) return s;  // p closes itself
  }
  *out = std::move(p);
  return Status::Ok();
}

KafkaBus::~KafkaBus() {
  if (reconnect_.joinable()) reconnect_.join();
  for (auto& [id, c] : consumers_) StopConsumer(*c, true);
  consumers_.clear();
  producer_.reset();
  for (auto& r : retiring_) r.thread.join();
}

void KafkaBus::Retire(std::function<void()> close) {
  std::erase_if(retiring_, [](Retiring& r) {
    if (!*r.done) return false;
    r.thread.join();
    return true;
  });
  auto done = std::make_shared<std::atomic<bool>>(false);
  retiring_.push_back({std::thread([close = std::move(close), done]() mutable {
                         close();
                         close = nullptr;
                         *done = true;
                       }),
                       done});
}

bool KafkaBus::Flush(int timeout_ms) { return rd_kafka_flush(producer_->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR; }

void KafkaBus::Publish(const std::string& topic, const std::string& key, const std::string& payload) {
  const auto partition = static_cast<int32_t>(PartitionOfKey(key, partitions_));
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_->rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
      RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  if (err) {
    ++*undelivered_;
    spdlog::error("bus: publish to {}/{} failed: {}", topic, partition, rd_kafka_err2str(err));
  }
}

Status KafkaBus::Consume(const std::string& group, const std::vector<std::string>& topics, ConsumerHandlers handlers,
                         ConsumerId* id) {
  auto c = std::make_shared<Consumer>();
  c->group = group;
  c->topics = topics;
  c->handlers = std::move(handlers);
  if (Status s = StartConsumer(*c); !s.ok()) return s;
  *id = next_consumer_++;
  consumers_.emplace(*id, std::move(c));
  return Status::Ok();
}

void KafkaBus::StopConsuming(ConsumerId id, bool orderly) {
  auto it = consumers_.find(id);
  if (it == consumers_.end()) return;
  StopConsumer(*it->second, orderly);
  consumers_.erase(it);
}

Status KafkaBus::StartConsumer(Consumer& c) {
  ConfPtr conf(nullptr, &rd_kafka_conf_destroy);
  Status s = MakeConf({{"bootstrap.servers", bootstrap_},
                       {"group.id", c.group},
                       // Not cooperative-sticky: Debian 12's librdkafka (2.0.2) aborts in
                       // the sticky assignor's destroy when a consumer ends early.
                       {"partition.assignment.strategy", "range"},
                       {"enable.auto.offset.store", "false"},
                       {"session.timeout.ms", std::to_string(session_timeout_ms_)},
                       {"heartbeat.interval.ms", std::to_string(std::max(100, session_timeout_ms_ / 4))},
                       {"auto.offset.reset", "earliest"},
                       {"queued.max.messages.kbytes", std::to_string(kFetchQueueKBytes)},
                       // A fetch with nothing new returns within 10 ms, so a record is
                       // pushed at most that long after it lands: with librdkafka's
                       // 500 ms default every live push on the mock cluster waited up
                       // to half a second. An idle consumer asks each broker 100 times
                       // a second, cheap for a broker.
                       {"fetch.wait.max.ms", "10"}},
                      &conf);
  if (!s.ok()) return s;
  c.stop = std::make_shared<std::atomic<bool>>(false);
  auto client = std::make_shared<Consumer::Client>();
  client->rebalance = std::make_unique<RebalanceContext>(RebalanceContext{&io_, c.stop, c.handlers});
  rd_kafka_conf_set_rebalance_cb(conf.get(), OnRebalance);
  rd_kafka_conf_set_opaque(conf.get(), client->rebalance.get());
  if (s = NewClient(RD_KAFKA_CONSUMER, std::move(conf), &client->rk); !s.ok()) return s;
  rd_kafka_poll_set_consumer(client->rk);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(c.topics.size()));
  for (const auto& topic : c.topics) rd_kafka_topic_partition_list_add(list, topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(client->rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return Status::IoError(std::string("bus: subscribe failed: ") + rd_kafka_err2str(err));
  c.client = client;
  c.poller = std::thread([this, client, stop = c.stop, handler = c.handlers.record, backlog = c.backlog] {
    while (backlog->Reserve(*stop)) {
      backlog->polling = true;
      rd_kafka_message_t* m = rd_kafka_consumer_poll(client->rk, kPollMs);
      backlog->polling = false;
      if (m == nullptr || m->err) {
        backlog->Release();
        if (m == nullptr) continue;
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) spdlog::warn("bus: consume: {}", rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        continue;
      }
      BusRecord rec{rd_kafka_topic_name(m->rkt), static_cast<uint32_t>(m->partition), m->offset,
                    std::string(static_cast<const char*>(m->key), m->key_len),
                    std::string(static_cast<const char*>(m->payload), m->len)};
      rd_kafka_message_destroy(m);
      // The record holds its client weakly: the client is closed on a helper
      // thread (StopConsumer), never here on the io_context thread.
      boost::asio::post(io_, [weak = std::weak_ptr<Consumer::Client>(client), stop, handler, backlog,
                              rec = std::move(rec)] {
        backlog->Release();
        if (*stop) return;  // replaced or shutting down: the next client reads it again
        auto client = weak.lock();
        if (!client) return;
        // Handled: the group resumes after it.
        handler(rec, [weak, topic = rec.topic, partition = rec.partition, offset = rec.offset] {
          auto client = weak.lock();
          if (!client) return;
          rd_kafka_topic_partition_list_t* done = rd_kafka_topic_partition_list_new(1);
          rd_kafka_topic_partition_list_add(done, topic.c_str(), static_cast<int32_t>(partition))->offset = offset + 1;
          rd_kafka_offsets_store(client->rk, done);
          rd_kafka_topic_partition_list_destroy(done);
        });
      });
    }
  });
  return Status::Ok();
}

size_t KafkaBus::posted(ConsumerId id) const {
  auto it = consumers_.find(id);
  if (it == consumers_.end()) return 0;
  std::lock_guard lock(it->second->backlog->mu);
  return it->second->backlog->posted;
}

int64_t KafkaBus::Lag(ConsumerId id) const {
  auto it = consumers_.find(id);
  if (it == consumers_.end() || !it->second->client) return 0;
  rd_kafka_t* rk = it->second->client->rk;
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(rk, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR || assigned == nullptr) return 0;
  const auto& backlog = *it->second->backlog;
  int64_t lag = static_cast<int64_t>(posted(id)) - (backlog.polling ? 1 : 0);
  rd_kafka_position(rk, assigned);
  for (int i = 0; i < assigned->cnt; ++i) {
    const auto& p = assigned->elems[i];
    int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(rk, p.topic, p.partition, &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    const int64_t at = p.offset >= 0 ? p.offset : low;  // nothing fetched yet: from the start kept
    if (high > at) lag += high - at;
  }
  rd_kafka_topic_partition_list_destroy(assigned);
  return lag;
}

size_t KafkaBus::most_posted(ConsumerId id) const {
  auto it = consumers_.find(id);
  if (it == consumers_.end()) return 0;
  std::lock_guard lock(it->second->backlog->mu);
  return it->second->backlog->most;
}

// Stops the poll thread at once (it polls in 100 ms steps); the client is
// closed elsewhere, after the last record posted from it.
void KafkaBus::StopConsumer(Consumer& c, bool orderly) {
  if (!c.stop) return;
  *c.stop = true;
  if (c.poller.joinable()) c.poller.join();
  if (c.client) c.client->orderly = orderly;
  if (c.client) Retire([client = std::move(c.client)]() mutable { client.reset(); });
  c.stop.reset();
}

bool KafkaBus::ReconnectAsync(const std::string& bootstrap, std::function<void(const Status&)> done) {
  if (reconnecting_) return false;
  reconnecting_ = true;
  if (reconnect_.joinable()) reconnect_.join();
  reconnect_ = std::thread([this, bootstrap, done = std::move(done), alive = std::weak_ptr<int>(alive_)] {
    auto fresh = std::make_shared<std::unique_ptr<Producer>>();
    const Status s = NewProducer(bootstrap, kReconnectMetadataTimeoutMs, fresh.get());
    boost::asio::post(io_, [this, alive, s, fresh, bootstrap, done] {
      if (alive.expired()) return;
      reconnecting_ = false;
      if (!s.ok()) return done(s);
      std::unique_ptr<Producer> old = std::move(producer_);
      producer_ = std::move(*fresh);
      bootstrap_ = bootstrap;
      Retire([old = std::shared_ptr<Producer>(std::move(old))]() mutable { old.reset(); });
      Status consumers;
      for (auto& [id, c] : consumers_) {
        StopConsumer(*c, false);  // the old brokers are gone: nothing to leave
        if (Status cs = StartConsumer(*c); !cs.ok()) consumers = cs;
      }
      spdlog::info("bus: reconnected to {}", bootstrap);
      done(consumers);
    });
  });
  return true;
}

Status KafkaMockCluster::Start(uint32_t brokers, std::unique_ptr<KafkaMockCluster>* out) {
  ConfPtr conf(nullptr, &rd_kafka_conf_destroy);
  // The host client itself never connects: quiet its "no bootstrap.servers" warning.
  Status s = MakeConf({{"client.id", "msgbed-mock-host"}, {"log_level", "3"}}, &conf);
  if (!s.ok()) return s;
  rd_kafka_t* host = nullptr;
  if (s = NewClient(RD_KAFKA_PRODUCER, std::move(conf), &host); !s.ok()) return s;
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, static_cast<int>(brokers));
  if (cluster == nullptr) {
    rd_kafka_destroy(host);
    return Status::IoError("bus: cannot start the mock cluster");
  }
  out->reset(new KafkaMockCluster(host, cluster));
  return Status::Ok();
}

KafkaMockCluster::~KafkaMockCluster() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(host_);
}

Status KafkaMockCluster::CreateTopic(const std::string& topic, uint32_t partitions) {
  const rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster_, topic.c_str(), static_cast<int>(partitions), 1);
  if (err) return Status::IoError("bus: mock topic " + topic + ": " + rd_kafka_err2str(err));
  return Status::Ok();
}

Status KafkaMockCluster::SetBrokerUp(uint32_t index, bool up) {
  const int32_t id = static_cast<int32_t>(index) + 1;  // mock broker ids start at 1
  const rd_kafka_resp_err_t err =
      up ? rd_kafka_mock_broker_set_up(cluster_, id) : rd_kafka_mock_broker_set_down(cluster_, id);
  if (err) return Status::IoError("bus: mock broker " + std::to_string(id) + ": " + rd_kafka_err2str(err));
  return Status::Ok();
}

std::string KafkaMockCluster::bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

}  // namespace msgbed::live
