// The text frames of a jambonz listen WebSocket after the metadata: mark events and DTMF as
// jambonz writes them, what is ignored rather than fatal, and our commands byte for byte.
#include <mediaflow/protocol/jambonz_messages.hpp>

#include <gtest/gtest.h>

#include <string>

namespace jz = mediaflow::protocol::jambonz;
using jz::ControlKind;

namespace {

void expect_kind(const std::string& text, ControlKind kind) {
  const auto m = jz::read_control_message(text);
  EXPECT_EQ(m.kind, kind) << text << " read as " << jz::control_kind_name(m.kind) << " (" << m.error << ")";
  if (kind == ControlKind::kMalformed) {
    EXPECT_NE(std::string(m.error), "") << text;
  }
}

}  // namespace

TEST(JambonzControl, ReadsMarkEventsAsModAudioForkWritesThem) {
  // freeswitch-modules mod_audio_fork/lws_glue.cpp send_mark_event(), spaces included.
  const auto played = jz::read_control_message(R"({"type": "mark", "data": {"name":"utt-7", "event": "playout"}})");
  ASSERT_EQ(played.kind, ControlKind::kMark) << played.error;
  EXPECT_EQ(played.mark_name, "utt-7");
  EXPECT_EQ(played.mark_event, jz::MarkEvent::kPlayout);

  const auto cleared = jz::read_control_message(R"({"type": "mark", "data": {"name":"utt-8", "event": "cleared"}})");
  ASSERT_EQ(cleared.kind, ControlKind::kMark) << cleared.error;
  EXPECT_EQ(cleared.mark_name, "utt-8");
  EXPECT_EQ(cleared.mark_event, jz::MarkEvent::kCleared);
}

TEST(JambonzControl, TheSimulatorWritesMarkEventsByteForByteAsJambonz) {
  EXPECT_EQ(jz::encode_mark_event("utt-7", jz::MarkEvent::kPlayout),
            R"({"type": "mark", "data": {"name":"utt-7", "event": "playout"}})");
  EXPECT_EQ(jz::encode_mark_event("utt-8", jz::MarkEvent::kCleared),
            R"({"type": "mark", "data": {"name":"utt-8", "event": "cleared"}})");
  EXPECT_EQ(jz::encode_dtmf_event("#", 1600), R"({"event":"dtmf","dtmf":"#","duration":1600})");
}

TEST(JambonzControl, AMarkWeSendComesBackWithItsName) {
  for (const std::string& name : {std::string("utt-1"), std::string("a b:c.d/e_f"), std::string(jz::kMaxMarkNameBytes, 'z')}) {
    ASSERT_TRUE(jz::encode_mark(name)) << name;
    const auto echoed = jz::read_control_message(jz::encode_mark_event(name, jz::MarkEvent::kPlayout));
    ASSERT_EQ(echoed.kind, ControlKind::kMark) << name << ": " << echoed.error;
    EXPECT_EQ(echoed.mark_name, name);
  }
}

TEST(JambonzControl, AMarkMissingAFieldIsMalformed) {
  expect_kind(R"({"type":"mark"})", ControlKind::kMalformed);
  expect_kind(R"({"type":"mark","data":"utt-7"})", ControlKind::kMalformed);
  expect_kind(R"({"type":"mark","data":{"event":"playout"}})", ControlKind::kMalformed);
  expect_kind(R"({"type":"mark","data":{"name":"","event":"playout"}})", ControlKind::kMalformed);
  expect_kind(R"({"type":"mark","data":{"name":7,"event":"playout"}})", ControlKind::kMalformed);
  expect_kind(R"({"type":"mark","data":{"name":"utt-7"}})", ControlKind::kMalformed);
  expect_kind(R"({"type":"mark","data":{"name":"utt-7","event":true}})", ControlKind::kMalformed);
}

TEST(JambonzControl, AMarkEventOfAnotherNameIsUnknownNotAnError) {
  expect_kind(R"({"type":"mark","data":{"name":"utt-7","event":"started"}})", ControlKind::kUnknown);
}

TEST(JambonzControl, ReadsDtmfAsTheFeatureServerSendsIt) {
  // lib/tasks/listen.js _onDtmf with passDtmf: {event: 'dtmf', dtmf, duration}.
  const auto m = jz::read_control_message(R"({"event":"dtmf","dtmf":"5","duration":1600})");
  ASSERT_EQ(m.kind, ControlKind::kDtmf) << m.error;
  EXPECT_EQ(m.dtmf_digit, "5");
  EXPECT_EQ(m.dtmf_duration, 1600u);

  // The duration is informational: absent, negative or absurd, the digit still counts.
  for (const char* text : {R"({"event":"dtmf","dtmf":"#"})", R"({"event":"dtmf","dtmf":"#","duration":-1})",
                           R"({"event":"dtmf","dtmf":"#","duration":"1600"})", R"({"event":"dtmf","dtmf":"#","duration":1e40})"}) {
    const auto d = jz::read_control_message(text);
    ASSERT_EQ(d.kind, ControlKind::kDtmf) << text << ": " << d.error;
    EXPECT_EQ(d.dtmf_digit, "#");
    EXPECT_FALSE(d.dtmf_duration.has_value()) << text;
  }
  expect_kind(R"({"event":"dtmf"})", ControlKind::kMalformed);
  expect_kind(R"({"event":"dtmf","dtmf":""})", ControlKind::kMalformed);
  expect_kind(R"({"event":"dtmf","dtmf":5})", ControlKind::kMalformed);
  expect_kind(R"({"event":"dtmf","dtmf":"123456789"})", ControlKind::kMalformed);
}

TEST(JambonzControl, ReadsPlayDone) {
  expect_kind(R"({"type":"playDone","data":{"id":"p1","playback_seconds":2}})", ControlKind::kPlayDone);
}

TEST(JambonzControl, WhatWeDoNotKnowIsUnknownNeverMalformed) {
  for (const char* text : {R"({"type":"transcription","data":{}})", R"({"type":"killAudio"})", R"({})",
                           R"({"type":7})", R"({"event":"connected"})", R"({"msg":"buffer overrun"})",
                           R"({"type":"Mark","data":{"name":"x","event":"playout"}})"})
    expect_kind(text, ControlKind::kUnknown);
}

TEST(JambonzControl, BadTextIsMalformed) {
  for (const std::string& text : {std::string(""), std::string("mark"), std::string("[]"), std::string("\"mark\""),
                                 std::string(R"({"type":"mark")"), std::string("{\"type\":\"\xff\"}"),
                                 std::string("{\"type\":\"mark\",\"data\":{\"name\":\"\xed\xa0\x80\",\"event\":\"playout\"}}"),
                                 std::string(40, '[') + std::string(40, ']')})
    expect_kind(text, ControlKind::kMalformed);
}

TEST(JambonzControl, RefusesAMessageLargerThanTheBound) {
  const std::string head = R"({"type":"transcription","data":")";
  const std::string at_bound = head + std::string(jz::kMaxControlMessageBytes - head.size() - 2, 'x') + "\"}";
  ASSERT_EQ(at_bound.size(), jz::kMaxControlMessageBytes);
  expect_kind(at_bound, ControlKind::kUnknown);
  expect_kind(head + std::string(jz::kMaxControlMessageBytes - head.size() - 1, 'x') + "\"}", ControlKind::kMalformed);
}

TEST(JambonzCommands, AreExactlyWhatModAudioForkReads) {
  EXPECT_EQ(jz::encode_kill_audio(), R"({"type":"killAudio"})");
  EXPECT_EQ(jz::encode_clear_marks(), R"({"type":"clearMarks"})");
  EXPECT_EQ(jz::encode_disconnect(), R"({"type":"disconnect"})");
  EXPECT_EQ(jz::encode_mark("utt-7"), R"({"type":"mark","data":{"name":"utt-7"}})");
  EXPECT_EQ(jz::encode_mark("a b"), R"({"type":"mark","data":{"name":"a b"}})");
}

TEST(JambonzCommands, RefusesMarkNamesJambonzCouldNotEchoAsJson) {
  // mod_audio_fork writes the name into its event unescaped: a quote or backslash would break it.
  for (const std::string& name : {std::string(""), std::string("say \"hi\""), std::string("a\\b"), std::string("tab\there"),
                                 std::string("nl\n"), std::string("del\x7f"), std::string("caf\xc3\xa9"),
                                 std::string(1, '\0'), std::string(jz::kMaxMarkNameBytes + 1, 'z')}) {
    EXPECT_FALSE(jz::is_valid_mark_name(name)) << name;
    EXPECT_FALSE(jz::encode_mark(name).has_value()) << name;
  }
  EXPECT_TRUE(jz::is_valid_mark_name(std::string(jz::kMaxMarkNameBytes, 'z')));
  EXPECT_TRUE(jz::is_valid_mark_name(" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~"));
}

// The simulator's side: every command we encode reads back as itself, as mod_audio_fork reads it.
TEST(JambonzCommands, ReadBackAsModAudioForkReadsThem) {
  using jz::CommandKind;
  EXPECT_EQ(jz::read_command(jz::encode_kill_audio()).kind, CommandKind::kKillAudio);
  EXPECT_EQ(jz::read_command(jz::encode_clear_marks()).kind, CommandKind::kClearMarks);
  EXPECT_EQ(jz::read_command(jz::encode_disconnect()).kind, CommandKind::kDisconnect);
  const auto mark = jz::read_command(*jz::encode_mark("utt-7"));
  ASSERT_EQ(mark.kind, CommandKind::kMark) << mark.error;
  EXPECT_EQ(mark.mark_name, "utt-7");
  // mod_audio_fork ignores members it does not read and logs other types.
  EXPECT_EQ(jz::read_command(R"({"data":{"name":"x"},"type":"mark","extra":1})").mark_name, "x");
  EXPECT_EQ(jz::read_command(R"({"type":"playAudio","data":{}})").kind, CommandKind::kUnknown);
  for (const char* bad : {"", "killAudio", "[]", R"({"type":7})", R"({"kind":"killAudio"})", R"({"type":"mark"})",
                          R"({"type":"mark","data":{"name":""}})", R"({"type":"mark","data":{"name":3}})"}) {
    const auto c = jz::read_command(bad);
    EXPECT_EQ(c.kind, CommandKind::kMalformed) << bad;
    EXPECT_STRNE(c.error, "") << bad;
  }
}

TEST(JambonzControl, KindsHaveNames) {
  for (ControlKind k : {ControlKind::kMark, ControlKind::kDtmf, ControlKind::kPlayDone, ControlKind::kUnknown,
                        ControlKind::kMalformed})
    EXPECT_STRNE(jz::control_kind_name(k), "?");
}
