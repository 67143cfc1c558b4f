// The bad-input catalogue (docs/bad-inputs.md), one CTest test per case: each bad input either
// fails with a QgsProcessingException whose text is asserted, or runs with an asserted warning.
// Cases that other tests already cover are listed in the catalogue with those tests' names.
#include "bad_input_fixtures.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

using namespace bad_input_fixtures;

namespace
{
  std::vector<Case> catalogue();
}

class BadInput : public ::testing::TestWithParam<Case>
{
  protected:
    void TearDown() override { gKeep.clear(); }
};

TEST_P( BadInput, IsRefusedOrWarnedAboutByName )
{
  const Case &c = GetParam();
  Env env;
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const AlgorithmRun run = runAlgorithm( QString::fromLatin1( c.algorithm ), c.parameters( env ), context, &feedback );
  const QString text = c.expect == Expect::Fails ? run.error : feedback.textLog();
  if ( c.expect == Expect::Fails )
    EXPECT_FALSE( run.ok ) << "expected a refusal; log: " << feedback.textLog().toStdString();
  else
    EXPECT_TRUE( run.ok ) << run.error.toStdString();
  if ( qEnvironmentVariableIsSet( "MUSECL_SHOW_MESSAGES" ) )
    std::printf( "%s: %s\n", c.name, text.trimmed().left( 300 ).toUtf8().constData() );
  for ( const QString &fragment : c.fragments )
    EXPECT_TRUE( text.contains( fragment ) ) << "missing “" << fragment.toStdString() << "” in: " << text.toStdString();
  if ( c.after )
    c.after( env, run );
}

INSTANTIATE_TEST_SUITE_P( Catalogue, BadInput, ::testing::ValuesIn( catalogue() ),
                          []( const ::testing::TestParamInfo<Case> &info ) { return std::string( info.param.name ); } );

namespace
{
  // The feature algorithms' cases, then the learning algorithms', as one list.
  std::vector<Case> catalogue()
  {
    std::vector<Case> cases = featureAlgorithmCases();
    for ( Case &c : learningAlgorithmCases() )
      cases.push_back( std::move( c ) );
    return cases;
  }
} // namespace
