// jambonzsink: pipeline audio out as jambonz listen bidirectional audio (see jambonzsink.cpp).
#pragma once

#include <mediaflow/transport/egress_sink.hpp>

G_BEGIN_DECLS

#define GST_TYPE_JAMBONZ_SINK (gst_jambonz_sink_get_type())
G_DECLARE_FINAL_TYPE(GstJambonzSink, gst_jambonz_sink, GST, JAMBONZ_SINK, MediaflowEgressSink)

GST_ELEMENT_REGISTER_DECLARE(jambonzsink);

G_END_DECLS
