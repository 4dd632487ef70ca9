// twiliosink: pipeline audio out as Twilio Media Streams messages (see twiliosink.cpp).
#pragma once

#include <mediaflow/transport/egress_sink.hpp>

G_BEGIN_DECLS

#define GST_TYPE_TWILIO_SINK (gst_twilio_sink_get_type())
G_DECLARE_FINAL_TYPE(GstTwilioSink, gst_twilio_sink, GST, TWILIO_SINK, MediaflowEgressSink)

GST_ELEMENT_REGISTER_DECLARE(twiliosink);

G_END_DECLS
