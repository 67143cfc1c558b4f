// Programs that run copies of themselves as the ranks of a data-parallel job on this machine (the
// distributed tests, bench_allreduce, the qgis_process job test): a free loopback port for a
// rendezvous, spawning this executable again, and waiting for it with a limit. POSIX only, and
// header-only, so that the LibTorch-only build can use it too.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

extern char **environ;

namespace musecl::loopback
{

  // A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice, released for the caller).
  inline int freeLoopbackPort()
  {
    const int fd = socket( AF_INET, SOCK_STREAM, 0 );
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl( INADDR_LOOPBACK );
    addr.sin_port = 0;
    bind( fd, reinterpret_cast<sockaddr *>( &addr ), sizeof( addr ) );
    socklen_t len = sizeof( addr );
    getsockname( fd, reinterpret_cast<sockaddr *>( &addr ), &len );
    close( fd );
    return ntohs( addr.sin_port );
  }

  // Runs this executable again with `arguments` (after argv[0]) and this process's environment;
  // the child's pid, or -1.
  inline pid_t spawnSelf( const std::vector<std::string> &arguments )
  {
    const std::string self = std::filesystem::read_symlink( "/proc/self/exe" ).string();
    std::vector<std::string> args{ self };
    args.insert( args.end(), arguments.begin(), arguments.end() );
    std::vector<char *> argv;
    for ( std::string &a : args )
      argv.push_back( a.data() );
    argv.push_back( nullptr );
    pid_t pid = -1;
    return posix_spawn( &pid, self.c_str(), nullptr, nullptr, argv.data(), environ ) == 0 ? pid : -1;
  }

  // The child's exit status (128 + signal when killed by one), or -1 when it ran past `limit`, in
  // which case it is killed.
  inline int waitExit( pid_t pid, std::chrono::seconds limit )
  {
    const auto until = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while ( std::chrono::steady_clock::now() < until )
    {
      if ( waitpid( pid, &status, WNOHANG ) == pid )
        return WIFEXITED( status ) ? WEXITSTATUS( status ) : 128 + WTERMSIG( status );
      std::this_thread::sleep_for( std::chrono::milliseconds( 50 ) );
    }
    kill( pid, SIGKILL );
    waitpid( pid, &status, 0 );
    return -1;
  }

} // namespace musecl::loopback
